using System.Buffers;
using MailCluster.Cluster.Submission;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Suppression;
using MailCluster.Mime.Dkim;
using MailCluster.Mime.Headers;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo.Ingress;

/// <summary>Ingress policy and storage behind every SMTP session: relay control, the suppression list, trace headers, DKIM signing, and the spool commit.</summary>
internal sealed class SpoolingSessionHost : ISmtpSessionHost
{
    private readonly ISpoolIntake _spool;
    private readonly RelayPolicy _relay;
    private readonly QueueIdGenerator _queueIds;
    private readonly IngressMetrics _metrics;
    private readonly DeliveryTrigger _delivery;
    private readonly TimeProvider _time;
    private readonly ILogger<SpoolingSessionHost> _logger;
    private readonly MessageSigner _signer;
    private readonly SubmissionUsers _users;
    private readonly Authenticator _authenticator;
    private readonly HourlyCounts _hourly;
    private readonly SuppressionList _suppressions;
    private readonly bool _signingRequired;

    public SpoolingSessionHost(
        ISpoolIntake spool,
        RelayPolicy relay,
        SuppressionList suppressions,
        MessageSigner signer,
        DkimOptions dkim,
        SubmissionUsers users,
        Authenticator authenticator,
        HourlyCounts hourly,
        QueueIdGenerator queueIds,
        IngressMetrics metrics,
        DeliveryTrigger delivery,
        TimeProvider time,
        ILogger<SpoolingSessionHost> logger)
    {
        _signer = signer;
        _users = users;
        _authenticator = authenticator;
        _hourly = hourly;
        _suppressions = suppressions;
        _signingRequired = dkim.Required;
        _delivery = delivery;
        _spool = spool;
        _relay = relay;
        _queueIds = queueIds;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public SmtpReply? AuthorizeSender(SmtpSessionInfo session, SmtpTransaction transaction)
    {
        if (session.AuthenticatedUser is { } name)
        {
            var user = _users.Find(name);
            // An authenticated user sends only as its own domains (else any user would get any domain's DKIM signature).
            if (transaction.ReversePath.Mailbox is { } from && user?.MaySendAs(from.Domain) != true)
            {
                return Rejected(SmtpReplies.SenderNotAllowed);
            }
            // The place in the hourly count is taken now and given back if the message is not
            // committed, so parallel sessions cannot all pass the check before one commits.
            if (user?.MessagesPerHour is { } limit)
            {
                if (_hourly.TryReserve(user.Name, limit) is not { } reservation)
                {
                    return Rejected(SmtpReplies.UserHourlyLimit);
                }
                transaction.Reservation = reservation;
            }
        }
        return Refusal(_spool.Headroom.Refuses(transaction.Parameters.Size ?? 0));
    }

    public ValueTask<AuthVerdict> AuthenticateAsync(SmtpSessionInfo session, string user, string password, CancellationToken cancellationToken) =>
        _authenticator.AuthenticateAsync(session.Remote, user, password, cancellationToken);

    public SmtpReply? AuthorizeRecipient(SmtpSessionInfo session, Mailbox recipient, int accepted)
    {
        // RFC 5321 4.5.3.1.10: 452, so the client sends the rest in another transaction.
        if (session.AuthenticatedUser is { } name && _users.Find(name)?.RecipientsPerMessage is { } most && accepted >= most)
        {
            return Rejected(SmtpReplies.UserRecipientLimit);
        }
        // Suppression is looked up in this silo's copy of the list: no storage call per RCPT.
        // An authenticated user relays from any address; everyone else must be in the trusted networks.
        var refusal = (session.AuthenticatedUser is null ? _relay.Authorize(session.Remote.Address) : null)
            ?? (_suppressions.IsSuppressed(recipient.ToString()) ? SmtpReplies.Suppressed : null);
        if (refusal is { } denied)
        {
            _metrics.Rejected(denied.Code);
        }
        return refusal;
    }

    public void MessageRefused(SmtpSessionInfo session, SmtpReply reply) => _metrics.Rejected(reply.Code);

    public void BeginMessage(SmtpSessionInfo session, SmtpTransaction transaction, IBufferWriter<byte> body)
    {
        transaction.QueueId = _queueIds.Next();
        ReceivedHeader.Write(body, new ReceivedInfo(
            session.HeloName ?? "unknown",
            session.Remote.Address.ToString(),
            session.ServerName,
            Protocol(session, transaction),
            transaction.QueueId,
            transaction.Recipients.Count == 1 ? transaction.Recipients[0].Mailbox.ToString() : null,
            session.TlsProtocol is { } tls ? TlsProtocolName.Of(tls) : null,
            _time.GetUtcNow()));
    }

    public async ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, CancellationToken cancellationToken)
    {
        var queueId = transaction.QueueId!;
        var started = _time.GetTimestamp();
        var user = session.AuthenticatedUser is { } name ? _users.Find(name) : null;
        SpoolContent content;
        // One reader for the checks and the signature: a large message is read from its file, never loaded.
        await using (var reader = body.OpenRead())
        {
            // Parsed only where someone vouches for the author (an authenticated user, a signature);
            // otherwise only the From: fields are counted, in one pass over the header octets.
            var authors = session.AuthenticatedUser is not null || _signer.HasKeys ? AuthorFields.Read(reader) : AuthorFields.CountFrom(reader);
            if (authors.FromFieldCount > 1)
            {
                return Rejected(SmtpReplies.MoreThanOneFrom);
            }
            if (session.AuthenticatedUser is not null && (user is null || !AuthorsAllowed(user, authors)))
            {
                return Rejected(SmtpReplies.SenderNotAllowed);
            }
            if (Sign(body, reader, authors) is not { } signed)
            {
                return Rejected(SmtpReplies.UnsignedRefused);
            }
            content = signed;
        }
        // The reserve is checked again with the real size, and the room taken at once: the space
        // may have gone since MAIL, and other sessions are committing too.
        if (Refusal(_spool.Headroom.TryTake(content.Length)) is { } full)
        {
            return full;
        }
        try
        {
            await _spool.EnqueueAsync(ToEnvelope(transaction, content.Length), content, cancellationToken);
        }
        catch (SpoolUnavailableException exception)
        {
            _spool.Headroom.Return(content.Length);
            // The one place spool failures become SMTP replies: 452 4.3.1 when full, else 451 4.3.0.
            Log.SpoolCommitFailed(_logger, queueId, session.Remote, exception.Message);
            var refusal = exception is SpoolFullException ? SmtpReplies.SpoolFull : SmtpReplies.SpoolUnavailable;
            _metrics.Rejected(refusal.Code);
            return refusal;
        }
        _metrics.Accepted(content.Length, _time.GetElapsedTime(started));
        (transaction.Reservation as HourlyReservation)?.Commit();
        _delivery.Notify();
        Log.MessageAccepted(_logger, queueId, session.Remote, transaction.ReversePath.ToString(), transaction.Recipients.Count, content.Length);
        return SmtpReplies.Queued(queueId);
    }

    /// <summary>
    /// Every From: and Sender: mailbox is in one of the user's domains (RFC 5322 3.6.2), read from
    /// the raw fields as the signer and receivers read them; a message without one is refused.
    /// </summary>
    private static bool AuthorsAllowed(SubmissionUser allowed, AuthorFields authors) =>
        authors.HasOneFromField && authors.Domains.All(allowed.MaySendAs);

    private SmtpReply Rejected(SmtpReply reply)
    {
        _metrics.Rejected(reply.Code);
        return reply;
    }

    /// <summary>
    /// The content to spool: the message with its DKIM-Signature fields before it, computed once
    /// here, so retries never re-sign and what is sent is what was signed. Null: unsigned, but
    /// signing is required.
    /// </summary>
    private SpoolContent? Sign(MessageContent body, Stream reader, AuthorFields authors)
    {
        if (!_signer.HasKeys)
        {
            return new SpoolContent(ReadOnlySequence<byte>.Empty, body);
        }
        var signature = _signer.Sign(reader, authors);
        if (signature.Outcome == DkimOutcome.WithSignature)
        {
            _metrics.Dkim("signed");
            return new SpoolContent(new ReadOnlySequence<byte>(signature.HeaderFields), body);
        }
        _metrics.Dkim(_signingRequired ? "refused" : "unsigned");
        return _signingRequired ? null : new SpoolContent(ReadOnlySequence<byte>.Empty, body);
    }

    /// <summary>New mail that would cut into the spool's reserve waits: 452 4.3.1 (RFC 3463 4.3.1, RFC 1870 6.1).</summary>
    private SmtpReply? Refusal(string? shortOfSpace)
    {
        if (shortOfSpace is null)
        {
            return null;
        }
        _metrics.Rejected(SmtpReplies.SpoolFull.Code);
        return SmtpReplies.SpoolFull;
    }

    private SpoolEnvelope ToEnvelope(SmtpTransaction transaction, long size)
    {
        var parameters = transaction.Parameters;
        var recipients = new EnvelopeRecipient[transaction.Recipients.Count];
        for (var i = 0; i < recipients.Length; i++)
        {
            var recipient = transaction.Recipients[i];
            recipients[i] = new EnvelopeRecipient(
                recipient.Mailbox.ToString(),
                recipient.Mailbox.Domain.ToLowerInvariant(),
                recipient.Parameters.Notify,
                recipient.Parameters.OriginalRecipient);
        }
        var message = new SpoolMessage(
            transaction.QueueId!,
            transaction.ReversePath.ToString(),
            _time.GetUtcNow(),
            size,
            parameters.EnvelopeId,
            parameters.Return,
            parameters.SmtpUtf8,
            parameters.Body == BodyType.EightBitMime);
        return new SpoolEnvelope(message, recipients);
    }

    // RFC 3848 / RFC 6531 3.7.3: the "with" protocol names.
    private static string Protocol(SmtpSessionInfo session, SmtpTransaction transaction) =>
        (transaction.Parameters.SmtpUtf8 ? "UTF8SMTP" : session.IsExtended ? "ESMTP" : "SMTP")
        + (session.TlsProtocol is null ? string.Empty : "S");
}
