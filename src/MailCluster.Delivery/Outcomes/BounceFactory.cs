using System.Buffers;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Mime.Dkim;
using MailCluster.Mime.Dsn;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// Turns failed recipients into an RFC 3464 DSN to the message's sender and spools it like any
/// other message, from the null reverse-path. No DSN for a null sender (RFC 5321 4.5.5: never
/// bounce a bounce), nor for recipients whose NOTIFY excludes FAILURE (RFC 3461 4.1).
/// </summary>
internal sealed class BounceFactory
{
    private readonly ISpoolIntake _intake;
    private readonly IDeliveryQueue _queue;
    private readonly DsnBuilder _builder;
    private readonly QueueIdGenerator _queueIds;
    private readonly DeliveryTrigger _trigger;
    private readonly DeliveryMetrics _metrics;
    private readonly MessageSigner _signer;

    public BounceFactory(ISpoolIntake intake, IDeliveryQueue queue, DsnBuilder builder, MessageSigner signer, QueueIdGenerator queueIds, DeliveryTrigger trigger, DeliveryMetrics metrics)
    {
        _signer = signer;
        _intake = intake;
        _queue = queue;
        _builder = builder;
        _queueIds = queueIds;
        _trigger = trigger;
        _metrics = metrics;
    }

    /// <summary>
    /// Spools the DSN for <paramref name="failed"/>, if one is owed; returns its queue id or null. The
    /// original comes from the spool, or is <paramref name="original"/> for mail held elsewhere (the
    /// retry tier). The DSN's room is taken from the spool's headroom first: past half the reserve
    /// it is a <see cref="SpoolFullException"/>, and the caller tries again later.
    /// </summary>
    public async Task<string?> SendAsync(
        SpoolMessage message, IReadOnlyList<FailedRecipient> failed, DateTimeOffset now, CancellationToken cancellationToken,
        ReadOnlyMemory<byte>? original = null)
    {
        var notify = failed.Where(f => WantsFailureNotice(f.Recipient.Recipient.Notify)).ToList();
        if (message.Sender.Length == 0 || notify.Count == 0)
        {
            return null;
        }
        var content = original ?? await _queue.ReadContentAsync(message.QueueId, cancellationToken) ?? [];
        var report = new DeliveryStatusReport(
            message.Sender,
            message.ReceivedAt,
            notify.Select(f => new DsnRecipient(f.Recipient.Address, DsnAction.Failed, f.Outcome.Status)
            {
                OriginalRecipient = f.Recipient.Recipient.OriginalRecipient,
                RemoteMta = f.Endpoint?.Host,
                DiagnosticCode = f.Outcome.Reason,
                LastAttemptDate = now,
                Category = f.Outcome.Category.ToString(),
            }).ToList(),
            new ReadOnlySequence<byte>(content))
        {
            OriginalEnvelopeId = message.EnvelopeId,
            Return = message.Return,
        };
        var dsn = _builder.Build(report);
        // Signed like the mail ingress accepts, when the reporting domain has a key; a DSN without one still goes.
        var unsigned = new ReadOnlySequence<byte>(dsn.Content);
        var signed = _signer.Sign(unsigned).Before(unsigned);
        var at = message.Sender.LastIndexOf('@');
        var envelope = new SpoolEnvelope(
            new SpoolMessage(_queueIds.Next(), Sender: string.Empty, now, signed.Length, EnvelopeId: null, DsnReturn.Unspecified, dsn.RequiresSmtpUtf8, EightBitMime: false),
            [new EnvelopeRecipient(message.Sender, message.Sender[(at + 1)..].ToLowerInvariant(), DsnNotify.Unspecified, OriginalRecipient: null)]);
        if (_intake.Headroom.TryTakeForDsn(signed.Length) is { } full)
        {
            throw new SpoolFullException("no room for a DSN: " + full);
        }
        try
        {
            await _intake.EnqueueAsync(envelope, signed, cancellationToken);
        }
        catch
        {
            _intake.Headroom.Return(signed.Length);
            throw;
        }
        _metrics.DsnGenerated(signed.Length);
        _trigger.Notify();
        return envelope.Message.QueueId;
    }

    // RFC 3461 4.1: without NOTIFY the default is FAILURE (and DELAY, which we do not send yet).
    private static bool WantsFailureNotice(DsnNotify notify) =>
        notify == DsnNotify.Unspecified || notify.HasFlag(DsnNotify.Failure);
}
