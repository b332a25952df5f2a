using System.Text;

namespace MailCluster.Smtp.Protocol;

/// <summary>An RFC 5321 4.1.2 Mailbox: <c>Local-part "@" (Domain / address-literal)</c>.</summary>
public sealed record Mailbox(string LocalPart, string Domain)
{
    /// <summary>True when either part holds non-ASCII (RFC 6531), which needs SMTPUTF8 end to end.</summary>
    public bool IsInternational => !Ascii.IsValid(LocalPart) || !Ascii.IsValid(Domain);

    public override string ToString() => $"{LocalPart}@{Domain}";

    /// <summary>Reads a mailbox as RCPT TO would (no angle brackets), e.g. one named in configuration.</summary>
    public static bool TryParse(string text, out Mailbox? mailbox) => Parsing.PathParser.TryParseMailbox(text, out mailbox);
}

/// <summary>The MAIL FROM path; <see cref="Mailbox"/> is null for the null reverse-path <c>&lt;&gt;</c> (RFC 5321 4.5.5).</summary>
public readonly record struct ReversePath(Mailbox? Mailbox)
{
    public bool IsNull => Mailbox is null;

    public override string ToString() => Mailbox?.ToString() ?? string.Empty;
}
