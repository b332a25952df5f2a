using MailCluster.Events;
using MailCluster.Mime.Headers;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// Ingress's delivery events: a <c>Reception</c> per recipient, committed with the message, and a
/// <c>Suppressed</c> for a recipient refused at RCPT for being on the suppression list. Nothing when
/// no sink takes events.
/// </summary>
internal sealed class IngressEvents(EventRecorder? recorder, TimeProvider time, ILogger<IngressEvents> logger)
{
    public bool Enabled => recorder is { Enabled: true };

    /// <summary>The content's Message-ID field (RFC 5322 3.6.4) as the events quote it; null without one, or when events are off.</summary>
    public string? MessageIdOf(MessageContent body) =>
        Enabled && HeaderFieldScanner.Find(body, "message-id"u8) is [var first, ..] ? first.Value : null;

    /// <summary>The receptions of a message, for the commit that stores it.</summary>
    public IReadOnlyList<SpoolEvent>? Receptions(SmtpSessionInfo session, SpoolMessage message, IReadOnlyList<EnvelopeRecipient> recipients)
    {
        if (!Enabled)
        {
            return null;
        }
        var events = new SpoolEvent[recipients.Count];
        var client = session.Remote.Address.ToString();
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = EventRecorder.Stored(recorder!.For(EventKind.Reception, message, recipients[i].Address, message.ReceivedAt) with { Client = client });
        }
        return events;
    }

    /// <summary>
    /// A refusal at RCPT writes no message, so its event is stored alone. The reply does not wait
    /// for it; one the spool cannot take is logged.
    /// </summary>
    public void Suppressed(SmtpSessionInfo session, SmtpTransaction transaction, Mailbox recipient)
    {
        if (!Enabled)
        {
            return;
        }
        var refused = recorder!.Standalone(
            EventKind.Suppressed, transaction.ReversePath.ToString(), recipient.ToString(), session.AuthenticatedUser, session.Remote.Address.ToString(), time.GetUtcNow())
            with { Status = SmtpReplies.Suppressed.Enhanced?.ToString(), Reply = SmtpReplies.Suppressed.ToString() };
        _ = RecordAsync(refused);
    }

    private async Task RecordAsync(DeliveryEvent refused)
    {
        try
        {
            await recorder!.RecordAsync([refused], CancellationToken.None);
        }
        catch (SpoolUnavailableException exception)
        {
            Log.EventNotRecorded(logger, refused.Kind.ToString(), refused.Recipient, exception.Message);
        }
    }
}
