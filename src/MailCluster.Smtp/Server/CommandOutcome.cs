using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>What the session loop does after a handler ran.</summary>
internal enum SessionStep
{
    /// <summary>Take the next command (or content) from the input already read.</summary>
    Continue,

    /// <summary>The input read so far is used up: flush the replies and read more (RFC 2920 3.2).</summary>
    NeedInput,

    /// <summary>The message's content is complete: hand it to the host.</summary>
    Commit,

    /// <summary>The 220 to STARTTLS is written: drop the pipelined rest and run the handshake.</summary>
    StartTls,

    /// <summary>The AUTH exchange has the credentials: ask the host for its verdict.</summary>
    Authenticate,
}

/// <summary>
/// What a handler returns to the loop: the reply to write (none while content is still arriving),
/// the state after it (null leaves the state as it was), what to do next, and whether the session ends.
/// A refused command is an outcome like any other, never an exception.
/// </summary>
internal readonly record struct CommandOutcome(SmtpReply? Reply, SmtpState? Next = null, SessionStep Step = SessionStep.Continue, bool Closes = false)
{
    /// <summary>More input is needed before there is anything to answer.</summary>
    public static readonly CommandOutcome NeedInput = new(null, Step: SessionStep.NeedInput);
}
