namespace MailCluster.Smtp.Protocol;

/// <summary>MAIL BODY= (RFC 6152); BINARYMIME is not offered.</summary>
public enum BodyType
{
    SevenBit,
    EightBitMime,
}

/// <summary>MAIL RET= (RFC 3461 4.3).</summary>
public enum DsnReturn
{
    Unspecified,
    Full,
    Headers,
}

/// <summary>RCPT NOTIFY= (RFC 3461 4.1); <see cref="Unspecified"/> when absent.</summary>
[Flags]
public enum DsnNotify
{
    Unspecified = 0,
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}

/// <summary>The ESMTP parameters of MAIL FROM that we implement.</summary>
public sealed record MailParameters(long? Size, BodyType Body, bool SmtpUtf8, DsnReturn Return, string? EnvelopeId)
{
    public static readonly MailParameters None = new(null, BodyType.SevenBit, false, DsnReturn.Unspecified, null);
}

/// <summary>The ESMTP parameters of RCPT TO that we implement.</summary>
public sealed record RcptParameters(DsnNotify Notify, string? OriginalRecipient)
{
    public static readonly RcptParameters None = new(DsnNotify.Unspecified, null);
}

/// <summary>One accepted recipient of a transaction.</summary>
public sealed record Recipient(Mailbox Mailbox, RcptParameters Parameters);
