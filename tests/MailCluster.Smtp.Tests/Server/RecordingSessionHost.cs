using System.Buffers;
using System.Net;
using System.Text;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;

namespace MailCluster.Smtp.Tests.Server;

/// <summary>
/// The protocol tests' host: trusts 127.0.0.0/8 like the silo's default relay policy, and records
/// what would have been spooled. <see cref="NextCommitReply"/> lets a test play a failing spool.
/// </summary>
internal sealed class RecordingSessionHost : ISmtpSessionHost
{
    private int _sequence;

    public List<(SmtpTransaction Transaction, string Content)> Committed { get; } = [];

    public SmtpReply? NextCommitReply { get; set; }

    /// <summary>The reply every MAIL gets from the host (a spool short of space), or null to accept senders.</summary>
    public SmtpReply? SenderRefusal { get; set; }

    public List<long?> DeclaredSizes { get; } = [];

    public SmtpReply? AuthorizeSender(SmtpSessionInfo session, ReversePath sender, long? declaredSize)
    {
        DeclaredSizes.Add(declaredSize);
        return SenderRefusal;
    }

    /// <summary>The credentials AUTH was given, in order.</summary>
    public List<(string User, string Password)> Credentials { get; } = [];

    /// <summary>alice / s3cret is the one right pair.</summary>
    public ValueTask<SmtpReply> AuthenticateAsync(SmtpSessionInfo session, string user, string password, CancellationToken cancellationToken)
    {
        Credentials.Add((user, password));
        return ValueTask.FromResult(user == "alice" && password == "s3cret" ? SmtpReplies.AuthSucceeded : SmtpReplies.AuthFailed);
    }

    public SmtpReply? AuthorizeRecipient(SmtpSessionInfo session, Mailbox recipient, int accepted) =>
        IPNetwork.Parse("127.0.0.0/8").Contains(session.Remote.Address) ? null : SmtpReplies.RelayDenied;

    public List<SmtpReply> Refused { get; } = [];

    public void MessageRefused(SmtpSessionInfo session, SmtpReply reply) => Refused.Add(reply);

    public void BeginMessage(SmtpSessionInfo session, SmtpTransaction transaction, IBufferWriter<byte> body)
    {
        transaction.QueueId = $"Q{++_sequence}";
        body.Write("X-Trace: test\r\n"u8);
    }

    public ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, ReadOnlySequence<byte> body, CancellationToken cancellationToken)
    {
        if (NextCommitReply is { } failure)
        {
            NextCommitReply = null;
            return ValueTask.FromResult(failure);
        }
        Committed.Add((transaction, Encoding.UTF8.GetString(body.ToArray())));
        return ValueTask.FromResult(SmtpReplies.Queued(transaction.QueueId!));
    }
}
