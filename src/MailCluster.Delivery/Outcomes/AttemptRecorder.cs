using System.Collections.Concurrent;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Retry;
using MailCluster.Delivery.Suppression;
using MailCluster.Delivery.Tier;
using MailCluster.Events;
using MailCluster.Smtp.Client;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// Makes attempt outcomes durable: schedules retries, turns expiries and permanent failures into
/// DSNs, records it all in the spool, and writes the delivery log and metrics. Runs beside the
/// actors so their loops never wait for a disk.
/// </summary>
internal sealed class AttemptRecorder
{
    private readonly IDeliveryQueue _spool;
    private readonly RetryPolicy _retry;
    private readonly TimeSpan _lifetime;
    private readonly DsnCoalescer _dsns;
    private readonly DeliveryLog _log;
    private readonly DeliveryMetrics _metrics;
    private readonly SuppressionList _suppressions;
    private readonly TimeProvider _time;
    private readonly ILogger<AttemptRecorder> _logger;
    private readonly ConcurrentDictionary<Task, byte> _pending = new();
    private readonly TierOutcomes? _tier;
    private readonly OutcomeEvents? _events;

    /// <param name="events">Delivery events, stored with the outcomes they report; null or disabled: none.</param>
    /// <param name="tier">Ends retry-tier entries (cluster mode); null on a single silo, whose jobs all come from its spool.</param>
    public AttemptRecorder(
        IDeliveryQueue spool, RetryPolicy retry, DeliveryOptions options, BounceFactory bounces, DeliveryLog log, DeliveryMetrics metrics, SuppressionList suppressions, TimeProvider time, ILogger<AttemptRecorder> logger,
        EventRecorder? events = null, TierOutcomes? tier = null)
    {
        _events = events is { Enabled: true } ? new OutcomeEvents(events, time, logger) : null;
        _tier = tier;
        _suppressions = suppressions;
        _spool = spool;
        _retry = retry;
        _lifetime = options.Retry.MaxQueueLifetime;
        _dsns = new DsnCoalescer(
            (message, failed) => PersistentWrite.RunAsync(() => bounces.SendAsync(message, failed, time.GetUtcNow(), CancellationToken.None), time),
            options.Dsn.CoalesceWindow,
            time);
        _log = log;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Records an attempt's outcomes; the recorder owns the write until it is done (<see cref="DrainAsync"/> waits for it).</summary>
    public void Submit(string domain, JobResult result) => Track(RecordAsync(domain, result));

    /// <summary>A verdict reached without a transaction (DNS, no host answering): it counts as an attempt.</summary>
    public void SubmitUnattempted(string domain, DeliveryJob job, DeliveryOutcome outcome) => Track(RecordAsync(domain, JobResult.Unattempted(job, outcome)));

    /// <summary>As <see cref="SubmitUnattempted"/>, for a caller that waits until the outcomes are recorded.</summary>
    public Task RecordUnattemptedAsync(string domain, DeliveryJob job, DeliveryOutcome outcome) => Track(RecordAsync(domain, JobResult.Unattempted(job, outcome)));

    /// <summary>Hands claimed recipients back untouched (suspension, shutdown).</summary>
    public void Release(IReadOnlyList<DueRecipient> recipients) =>
        Track(_spool.RecordOutcomesAsync(recipients.Select(r => new RecipientOutcome(r.Id, OutcomeAction.Released)).ToList(), CancellationToken.None).AsTask());

    /// <summary>Hands jobs back untouched: local recipients to the spool, retry-tier entries back to the tier (a hold, not an attempt).</summary>
    public void Release(IReadOnlyList<DeliveryJob> jobs, string reason)
    {
        var local = jobs.Where(j => j.Tier is null).SelectMany(j => j.Recipients).ToList();
        if (local.Count > 0)
        {
            Release(local);
        }
        foreach (var job in jobs.Where(j => j.Tier is not null))
        {
            Track(_tier!.ReleaseAsync(job.Tier!, job.Recipients, reason));
        }
    }

    /// <summary>Waits for every outcome handed in so far to be written or given up (shutdown); failures were logged.</summary>
    public Task DrainAsync()
    {
        // DSNs waiting for their window go now: shutdown does not wait for the clock.
        _dsns.CloseAll();
        return Task.WhenAll(_pending.Keys).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private Task Track(Task task)
    {
        _pending.TryAdd(task, 0);
        task.ContinueWith(t => _pending.TryRemove(t, out _), TaskScheduler.Default);
        return task;
    }

    private async Task RecordAsync(string domain, JobResult result)
    {
        var now = _time.GetUtcNow();
        var job = result.Job;
        var outcomes = new List<RecipientOutcome>(job.Recipients.Count);
        // A retry-tier job needs its outcomes as such, and so do events; otherwise they go to the spool as RecipientOutcomes.
        var decided = job.Tier is null && _events is null ? null : new List<(DueRecipient, DeliveryOutcome, DateTimeOffset?)>(job.Recipients.Count);
        var failed = new List<FailedRecipient>();
        var logged = new List<(DeliveryLogRecord Record, bool Failed)>(job.Recipients.Count);
        for (var i = 0; i < job.Recipients.Count; i++)
        {
            var recipient = job.Recipients[i];
            var outcome = result.Outcomes[i];
            DateTimeOffset? next = null;
            var type = outcome.Verdict.ToString();
            if (outcome.Verdict == DeliveryVerdict.Deferred)
            {
                next = _retry.NextAttempt(recipient.Attempts + 1, now);
                if (_retry.IsExpired(recipient.Message.ReceivedAt, next.Value))
                {
                    outcome = DeliveryOutcomeClassifier.Expired(outcome, _lifetime);
                    type = "Expired";
                    next = null;
                }
            }
            decided?.Add((recipient, outcome, next));
            outcomes.Add(outcome.Verdict switch
            {
                DeliveryVerdict.Delivered => new RecipientOutcome(recipient.Id, OutcomeAction.Delivered),
                DeliveryVerdict.Deferred => new RecipientOutcome(recipient.Id, OutcomeAction.Deferred, next, outcome.Reason),
                _ => new RecipientOutcome(recipient.Id, OutcomeAction.Bounced, LastReply: outcome.Reason),
            });
            if (outcome.Verdict == DeliveryVerdict.Bounced)
            {
                failed.Add(new FailedRecipient(recipient, outcome, result.Endpoint));
            }
            var category = outcome.Verdict == DeliveryVerdict.Delivered ? null : outcome.Category.ToString();
            _metrics.Attempt(domain, type.ToLowerInvariant(), ReplyClass(outcome), outcome.IsFinal ? now - recipient.Message.ReceivedAt : null, category);
            logged.Add((new DeliveryLogRecord(
                now, type, job.Message.QueueId, recipient.Address, domain, result.Endpoint?.Host, result.Endpoint?.Address, result.Endpoint?.TlsProtocol,
                outcome.Status.ToString(), outcome.Reason, recipient.Attempts + 1, result.Latency.TotalMilliseconds,
                (now - recipient.Message.ReceivedAt).TotalSeconds, next, null, result.Endpoint?.Source, category, outcome.Rule), outcome.Verdict == DeliveryVerdict.Bounced));
        }
        if (result.PossibleDuplicate)
        {
            _metrics.PossibleDuplicate(job.Recipients.Count);
        }
        if (job.Tier is { } lease)
        {
            // A retry-tier entry: the tier keeps its outcomes (and writes its DSN once); the log and suppression list are the same.
            if (_events is not null)
            {
                await _events.RecordTierAsync(decided!, result.Endpoint, now);
            }
            await _tier!.RecordAsync(lease, decided!, result.Endpoint);
            foreach (var (record, _) in logged)
            {
                _log.Write(record);
            }
            await SuppressHardBouncesAsync(failed, result.Endpoint);
            return;
        }
        try
        {
            // The DSN is durable before the failed recipients are removed: a crash in between repeats the DSN, never loses it.
            var dsn = failed.Count > 0 ? await SendDsnAsync(job, failed) : null;
            if (_events is not null)
            {
                _events.AttachTo(outcomes, decided!, result.Endpoint, dsn, now);
            }
            await PersistentWrite.RunAsync(
                async () =>
                {
                    await _spool.RecordOutcomesAsync(outcomes, CancellationToken.None);
                    return true;
                },
                _time);
            foreach (var (record, isFailure) in logged)
            {
                // Only the failed recipients' lines name the DSN that reported them.
                _log.Write(isFailure ? record with { DsnQueueId = dsn } : record);
            }
            await SuppressHardBouncesAsync(failed, result.Endpoint);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The recipients stay claimed: the spool owner's next start (or lease takeover) retries them.
            Log.OutcomesNotRecorded(_logger, job.Message.QueueId, exception.Message);
        }
    }

    /// <summary>
    /// Recipients a remote MX refused as nonexistent (or inactive: <c>Suppression:Categories</c>), and
    /// those a response rule suppresses, are not mailed again (a failure to record it is logged; the bounce stands).
    /// </summary>
    private async Task SuppressHardBouncesAsync(List<FailedRecipient> failed, MxEndpoint? endpoint)
    {
        // Only a refusal of the recipient itself: a 5.1.1 to MAIL FROM names the sender, after DATA the message.
        foreach (var (recipient, outcome, _) in failed.Where(f => f.Outcome.Suppress
            || (f.Outcome.Phase == SmtpPhase.Rcpt && f.Outcome.ReplyCode is >= 400 and < 600 && _suppressions.IsHardBounce(f.Outcome.Status, f.Outcome.Category))))
        {
            try
            {
                await _suppressions.AddAsync(recipient.Address, $"{outcome.Status} from {endpoint?.Host ?? "the MX"}: {outcome.Reason}", CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                Log.SuppressionNotRecorded(_logger, recipient.Address, exception.Message);
            }
        }
    }

    /// <summary>
    /// The DSN is shared with the message's other failures of this round (<see cref="DsnCoalescer"/>).
    /// One that cannot be built (its original gone, a bug) is logged; the recipients' outcomes are still recorded.
    /// </summary>
    private async Task<string?> SendDsnAsync(DeliveryJob job, List<FailedRecipient> failed)
    {
        try
        {
            return await _dsns.AddAsync(job.Message, failed);
        }
        catch (Exception exception) when (exception is not (OutOfMemoryException or SpoolUnavailableException))
        {
            Log.DsnFailed(_logger, job.Message.QueueId, exception);
            return null;
        }
    }

    private static string ReplyClass(DeliveryOutcome outcome) => outcome.ReplyCode is { } code ? $"{code / 100}xx" : "none";
}
