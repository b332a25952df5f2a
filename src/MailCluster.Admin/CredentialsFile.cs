using System.Globalization;
using System.Net;

namespace MailCluster.Admin;

/// <summary>One submission user as the credentials file holds it: only the password's hash; <see cref="Pool"/> is the egress pool its mail leaves through (null: the default).</summary>
public sealed record CredentialsEntry(string Name, string Hash, IReadOnlySet<string> Domains, int? MessagesPerHour, int? RecipientsPerMessage, string? Pool);

/// <summary>
/// The submission credentials file, one user per line:
/// <c>name:pbkdf2-sha256$ITERATIONS$SALT$HASH:domain,domain[:messages per hour[:recipients per message[:pool]]]</c>,
/// <c>#</c> comments; an empty limit or pool is none. The one reader of it: the silo (which users exist) and <c>mailctl user</c>
/// (which lines name whom) agree on every line.
/// </summary>
public static class CredentialsFile
{
    public const string Format = "name:pbkdf2-sha256$ITERATIONS$SALT$HASH:domain,domain[:messages per hour[:recipients per message[:pool]]]";

    /// <summary>
    /// The one form of a user name that lookups, counts, lockouts and logs use: lower-cased by
    /// Unicode's simple mapping, so that a spelling that finds a user (U+212A KELVIN SIGN for "k")
    /// is that user everywhere, never one beside it.
    /// </summary>
    public static string CanonicalName(string name) => name.ToLowerInvariant();

    /// <summary>A line that holds a user (not blank, not a comment).</summary>
    public static bool IsUserLine(string line) => line.Trim() is { Length: > 0 } text && !text.StartsWith('#');

    /// <summary>The canonical name a user line is for, or null for other lines.</summary>
    public static string? NameOf(string line) =>
        IsUserLine(line) ? CanonicalName(WebUtility.UrlDecode(line.Trim().Split(':')[0])) : null;

    /// <summary>Every well-formed user, and why each other user line is not (numbered from 1).</summary>
    public static (List<CredentialsEntry> Entries, List<string> Errors) Parse(IEnumerable<string> lines)
    {
        var entries = new List<CredentialsEntry>();
        var errors = new List<string>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            if (!IsUserLine(raw))
            {
                continue;
            }
            var fields = raw.Trim().Split(':');
            if (fields.Length is < 3 or > 6 || fields[0].Length == 0 || !PasswordHash.IsWellFormed(fields[1])
                || Limit(fields, 3) is { IsValid: false } || Limit(fields, 4) is { IsValid: false })
            {
                errors.Add($"line {number} is not {Format}");
                continue;
            }
            if (PasswordHash.IterationsOf(fields[1]) is var iterations and < PasswordHash.MinimumIterations)
            {
                errors.Add($"line {number} has a hash of {iterations} iterations; at least {PasswordHash.MinimumIterations} are required");
                continue;
            }
            var pool = fields.Length > 5 && fields[5].Length > 0 ? fields[5] : null;
            if (pool is not null && !EgressName.IsValid(pool))
            {
                errors.Add($"line {number} names pool '{pool}'; a pool name is {EgressName.Rule}");
                continue;
            }
            var domains = fields[2].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => d.ToLowerInvariant().TrimEnd('.')).ToHashSet(StringComparer.OrdinalIgnoreCase);
            entries.Add(new CredentialsEntry(NameOf(raw)!, fields[1], domains, Limit(fields, 3).Value, Limit(fields, 4).Value, pool));
        }
        return (entries, errors);
    }

    /// <summary>An optional positive count in field <paramref name="index"/>; empty or absent is no limit.</summary>
    private static (bool IsValid, int? Value) Limit(string[] fields, int index) =>
        index >= fields.Length || fields[index].Length == 0 ? (true, null)
        : int.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? (true, value)
        : (false, null);
}
