namespace MailCluster.Admin;

/// <summary>
/// What an egress source's or pool's name may be: the <c>Egress</c> options and the credentials
/// file's pool field hold to this one rule, so a pool a user line names can be configured.
/// </summary>
public static class EgressName
{
    /// <summary>The rule, as error messages state it.</summary>
    public const string Rule = "1-64 letters, digits, '-', '_' or '.'";

    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="name"/> keeps <see cref="Rule"/> (ASCII letters and digits only).</summary>
    public static bool IsValid(string? name)
    {
        if (name is not { Length: > 0 and <= MaxLength })
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }
        return true;
    }
}
