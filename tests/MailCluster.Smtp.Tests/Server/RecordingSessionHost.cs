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

    /// <summary>For each committed message, whether its content was still in memory (else it had gone to a file).</summary>
    public List<bool> CommittedInMemory { get; } = [];

    public SmtpReply? NextCommitReply { get; set; }

    /// <summary>The reply every MAIL gets from the host (a spool short of space), or null to accept senders.</summary>
    public SmtpReply? SenderRefusal { get; set; }

    public List<long?> DeclaredSizes { get; } = [];

    /// <summary>Reservations handed out at MAIL, in order; each records whether it was released.</summary>
    public List<TestReservation> Reservations { get; } = [];

    public SmtpReply? AuthorizeSender(SmtpSessionInfo session, SmtpTransaction transaction)
    {
        DeclaredSizes.Add(transaction.Parameters.Size);
        var reservation = new TestReservation();
        Reservations.Add(reservation);
        transaction.Reservation = reservation;
        return SenderRefusal;
    }

    /// <summary>The credentials AUTH was given, in order.</summary>
    public List<(string User, string Password)> Credentials { get; } = [];

    /// <summary>The verdict the next AUTH gets whatever its credentials (an address blocked after failures), or null.</summary>
    public AuthVerdict? NextAuthVerdict { get; set; }

    /// <summary>alice / s3cret is the one right pair; ALICE is the same user, whose canonical name is alice.</summary>
    public ValueTask<AuthVerdict> AuthenticateAsync(SmtpSessionInfo session, string user, string password, CancellationToken cancellationToken)
    {
        Credentials.Add((user, password));
        return ValueTask.FromResult(NextAuthVerdict ?? (user.Equals("alice", StringComparison.OrdinalIgnoreCase) && password == "s3cret"
            ? AuthVerdict.Succeeded("alice")
            : AuthVerdict.Refused(SmtpReplies.AuthFailed)));
    }

    public SmtpReply? AuthorizeRecipient(SmtpSessionInfo session, SmtpTransaction transaction, Mailbox recipient) =>
        IPNetwork.Parse("127.0.0.0/8").Contains(session.Remote.Address) ? null : SmtpReplies.RelayDenied;

    public List<SmtpReply> Refused { get; } = [];

    public void MessageRefused(SmtpSessionInfo session, SmtpReply reply) => Refused.Add(reply);

    public void BeginMessage(SmtpSessionInfo session, SmtpTransaction transaction, IBufferWriter<byte> body)
    {
        transaction.QueueId = $"Q{++_sequence}";
        body.Write("X-Trace: test\r\n"u8);
    }

    public ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, CancellationToken cancellationToken)
    {
        if (NextCommitReply is { } failure)
        {
            NextCommitReply = null;
            return ValueTask.FromResult(failure);
        }
        ((TestReservation)transaction.Reservation!).Committed = true;
        using var reader = new StreamReader(body.OpenRead(), Encoding.UTF8);
        Committed.Add((transaction, reader.ReadToEnd()));
        CommittedInMemory.Add(body.InMemory is not null);
        return ValueTask.FromResult(SmtpReplies.Queued(transaction.QueueId!));
    }
}

/// <summary>A host's reservation as the protocol tests see it: whether it was committed, and how often it was released.</summary>
internal sealed class TestReservation : IDisposable
{
    public bool Committed { get; set; }

    public int Disposals { get; private set; }

    public void Dispose() => Disposals++;
}
