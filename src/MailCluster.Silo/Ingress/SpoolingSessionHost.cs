using System.Buffers;
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
    private readonly AuthFailures _authFailures;
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
        AuthFailures authFailures,
        HourlyCounts hourly,
        QueueIdGenerator queueIds,
        IngressMetrics metrics,
        DeliveryTrigger delivery,
        TimeProvider time,
        ILogger<SpoolingSessionHost> logger)
    {
        _signer = signer;
        _users = users;
        _authFailures = authFailures;
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

    public SmtpReply? AuthorizeSender(SmtpSessionInfo session, ReversePath sender, long? declaredSize)
    {
        if (session.AuthenticatedUser is { } name)
        {
            var user = _users.Find(name);
            // An authenticated user sends only as its own domains (else any user would get any domain's DKIM signature).
            if (sender.Mailbox is { } from && user?.MaySendAs(from.Domain) != true)
            {
                return Rejected(SmtpReplies.SenderNotAllowed);
            }
            if (user?.MessagesPerHour is { } limit && _hourly.SentInTheLastHour(name) >= limit)
            {
                return Rejected(SmtpReplies.UserHourlyLimit);
            }
        }
        return Refusal(_spool.Headroom.Refuses(declaredSize ?? 0));
    }

    public async ValueTask<SmtpReply> AuthenticateAsync(SmtpSessionInfo session, string user, string password, CancellationToken cancellationToken)
    {
        var client = session.Remote.Address;
        if (_authFailures.IsBlocked(client))
        {
            return Rejected(SmtpReplies.AuthBlocked);
        }
        if (_users.Verify(user, password) is not null)
        {
            _authFailures.Succeeded(client);
            Log.Authenticated(_logger, session.Remote, user);
            return SmtpReplies.AuthSucceeded;
        }
        // The same answer for an unknown user and a wrong password, later each time.
        await Task.Delay(_authFailures.Failed(client), _time, cancellationToken);
        Log.AuthenticationFailed(_logger, session.Remote, user);
        return Rejected(_authFailures.IsBlocked(client) ? SmtpReplies.AuthBlocked : SmtpReplies.AuthFailed);
    }

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

    public async ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, ReadOnlySequence<byte> body, CancellationToken cancellationToken)
    {
        var queueId = transaction.QueueId!;
        var started = _time.GetTimestamp();
        var user = session.AuthenticatedUser is { } name ? _users.Find(name) : null;
        if (session.AuthenticatedUser is not null && (user is null || !HeaderFromAllowed(user, body)))
        {
            return Rejected(SmtpReplies.SenderNotAllowed);
        }
        if (Sign(body) is not { } content)
        {
            _metrics.Rejected(SmtpReplies.UnsignedRefused.Code);
            return SmtpReplies.UnsignedRefused;
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
        if (user is { MessagesPerHour: not null })
        {
            _hourly.Sent(user.Name);
        }
        _delivery.Notify();
        Log.MessageAccepted(_logger, queueId, session.Remote, transaction.ReversePath.ToString(), transaction.Recipients.Count, content.Length);
        return SmtpReplies.Queued(queueId);
    }

    /// <summary>Every From: address of the message is in one of the user's domains (RFC 5322 3.6.2).</summary>
    private static bool HeaderFromAllowed(SubmissionUser allowed, ReadOnlySequence<byte> body)
    {
        // Only the header section is read: it ends at the first empty line (RFC 5322 2.1).
        var reader = new SequenceReader<byte>(body);
        var section = reader.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8, advancePastDelimiter: false) ? head : body;
        using var stream = new MemoryStream(section.ToArray(), writable: false);
        var headers = MimeKit.HeaderList.Load(stream);
        return MimeKit.InternetAddressList.TryParse(headers[MimeKit.HeaderId.From] ?? string.Empty, out var from)
            && from.Mailboxes.Any()
            && from.Mailboxes.All(m => allowed.MaySendAs(m.Domain));
    }

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
    private ReadOnlySequence<byte>? Sign(ReadOnlySequence<byte> body)
    {
        if (!_signer.HasKeys)
        {
            return body;
        }
        var signature = _signer.Sign(body);
        if (signature.Outcome == DkimOutcome.WithSignature)
        {
            _metrics.Dkim("signed");
            return signature.Before(body);
        }
        _metrics.Dkim(_signingRequired ? "refused" : "unsigned");
        return _signingRequired ? null : body;
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
