using MailCluster.Cluster.RetryTier;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// Ends a received entry once every job of it came back: delivered and bounced recipients leave it
/// (the DSN spooled here first: after a crash, a duplicate DSN rather than a lost one), deferred ones stay
/// in it, rewritten with one more attempt and hidden until their next attempt time, in one call;
/// an entry nothing was attempted of (suspension, shutdown) is put back, which is not an attempt.
/// A storage failure is tried again for half a lease; after that the entry reappears on its own.
/// </summary>
internal sealed partial class TierOutcomes
{
    private readonly IRetryTier _tier;
    private readonly BounceFactory _bounces;
    private readonly RetryTierOptions _options;
    private readonly RetryTierMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public TierOutcomes(IRetryTier tier, BounceFactory bounces, RetryTierOptions options, RetryTierMetrics metrics, TimeProvider time, ILogger logger)
    {
        _tier = tier;
        _bounces = bounces;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>An entry of this domain was put back because the domain is suspended.</summary>
    public event Action<string>? HeldForSuspension;

    /// <summary>True while the silo stops: put-back entries are due at once, for the other silos.</summary>
    public bool Stopping { get; set; }

    /// <summary>One job's outcomes, with each deferral's next attempt time (expiry already decided).</summary>
    public Task RecordAsync(TierLease lease, IReadOnlyList<(DueRecipient Recipient, DeliveryOutcome Outcome, DateTimeOffset? Next)> outcomes, MxEndpoint? endpoint) =>
        lease.Complete(outcomes.Select(o => (o.Recipient, (DeliveryOutcome?)o.Outcome, o.Next)), out var all)
            ? FinishAsync(lease, all, endpoint, hold: null)
            : Task.CompletedTask;

    /// <summary>One job handed back unattempted (suspended domain, shutdown, nowhere to go).</summary>
    public Task ReleaseAsync(TierLease lease, IReadOnlyList<DueRecipient> recipients, string reason) =>
        lease.Complete(recipients.Select(r => (r, (DeliveryOutcome?)null, (DateTimeOffset?)null)), out var all)
            ? FinishAsync(lease, all, endpoint: null, hold: reason)
            : Task.CompletedTask;

    /// <summary>Bounces every recipient of an entry with <paramref name="outcome"/> (operator's tombstone, poison), DSN first, then deletes it.</summary>
    public async Task BounceAsync(TierLease lease, DeliveryOutcome outcome, string reason)
    {
        var failed = lease.Entry.Recipients.Select((r, i) => (new DueRecipient(i, r, lease.Entry.Attempts, lease.Entry.Message), outcome)).ToList();
        await UnderGateAsync(lease, async () =>
        {
            if (await SpoolDsnAsync(lease, failed, endpoint: null))
            {
                await EndAsync(lease, delete: true, null, default, reason);
            }
            else
            {
                await PutBackAsync(lease, "dsn_failed");
            }
        });
    }

    /// <summary>Deletes an entry without a DSN (an operator's delete), or one with no recipient left.</summary>
    public Task DeleteAsync(TierLease lease, string reason) => UnderGateAsync(lease, () => EndAsync(lease, delete: true, null, default, reason));

    private Task FinishAsync(TierLease lease, IReadOnlyList<(DueRecipient Recipient, DeliveryOutcome? Outcome, DateTimeOffset? Next)> all, MxEndpoint? endpoint, string? hold) =>
        UnderGateAsync(lease, async () =>
        {
            var attempted = all.Where(o => o.Outcome is not null).ToList();
            if (attempted.Count == 0)
            {
                await PutBackAsync(lease, hold ?? "unattempted");
                return;
            }
            var now = _time.GetUtcNow();
            _metrics.Attempted(now - lease.ReceivedAt);
            var failed = attempted.Where(o => o.Outcome!.Verdict == DeliveryVerdict.Bounced).Select(o => (o.Recipient, o.Outcome!)).ToList();
            // A DSN that could not be spooled keeps its recipients in the entry, to bounce again after a hold.
            var unbounced = failed.Count > 0 && !await SpoolDsnAsync(lease, failed, endpoint);
            var remaining = all.Where(o => o.Outcome is null || o.Outcome.Verdict == DeliveryVerdict.Deferred || (unbounced && o.Outcome.Verdict == DeliveryVerdict.Bounced)).ToList();
            if (remaining.Count == 0)
            {
                await EndAsync(lease, delete: true, null, default, failed.Count == attempted.Count ? "bounced" : "delivered");
                return;
            }
            var entry = lease.Entry;
            var updated = entry with
            {
                Recipients = [.. remaining.Select(o => o.Recipient.Recipient)],
                Attempts = entry.Attempts + 1,
                LastReply = attempted.Select(o => o.Outcome!).FirstOrDefault(o => o.Verdict == DeliveryVerdict.Deferred)?.Reason ?? entry.LastReply,
                Receives = (int)lease.Received.DequeueCount,
            };
            var due = remaining.Select(o => o.Outcome?.Verdict == DeliveryVerdict.Bounced ? now + _options.HoldInterval : o.Next ?? now).Min();
            await EndAsync(lease, delete: false, updated, due, "deferred");
        });

    /// <summary>An entry put back unattempted: rewritten with its receive count, due after a hold (at once when the silo stops).</summary>
    private Task PutBackAsync(TierLease lease, string reason)
    {
        _metrics.Held(reason);
        if (reason == "suspended")
        {
            HeldForSuspension?.Invoke(lease.Entry.Domain);
        }
        var due = _time.GetUtcNow() + (Stopping ? TimeSpan.Zero : _options.HoldInterval);
        return EndAsync(lease, delete: false, lease.Entry with { Receives = (int)lease.Received.DequeueCount }, due, reason: null);
    }

    /// <summary>
    /// Deletes or rewrites the entry. When that did not go through (another silo took it over, the
    /// storage failed for half a lease, or the answer was lost), the recipients it finished are
    /// noted, so whoever receives it next does not deliver or bounce them again.
    /// </summary>
    private async Task EndAsync(TierLease lease, bool delete, RetryEntry? updated, DateTimeOffset due, string? reason)
    {
        var ended = await PersistentlyAsync(lease, () => delete
            ? _tier.DeleteAsync(lease.Received, CancellationToken.None)
            : _tier.RescheduleAsync(lease.Received, updated!, due, CancellationToken.None));
        if (ended == Ending.Done)
        {
            if (delete)
            {
                _metrics.Moved("out", reason!, 1);
            }
            return;
        }
        if (ended == Ending.Lost)
        {
            lease.Lost = true;
            _metrics.LostLease();
            LostLease(_logger, lease.Entry.Id, lease.Entry.Domain);
        }
        var kept = (updated?.Recipients ?? []).ToHashSet();
        var finished = lease.Entry.Recipients.Where(r => !kept.Contains(r)).ToList();
        if (finished.Count > 0)
        {
            try
            {
                await _tier.RecordFinishedAsync(lease.Received, finished, CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The entry comes back with them: they may be delivered or bounced twice, never lost.
                TierCallFailed(_logger, "finished", lease.Entry.Id, exception.Message);
            }
        }
    }

    /// <summary>
    /// Spools the DSN of the entry's bounced recipients; false when it could not be. A crash before
    /// the entry's rewrite sends it again with the next holder: a duplicate DSN, never a lost one.
    /// </summary>
    private async Task<bool> SpoolDsnAsync(TierLease lease, IReadOnlyList<(DueRecipient, DeliveryOutcome)> failed, MxEndpoint? endpoint)
    {
        var entry = lease.Entry;
        try
        {
            await _bounces.SendAsync(entry.Message, [.. failed.Select(f => new FailedRecipient(f.Item1, f.Item2, endpoint))], _time.GetUtcNow(), CancellationToken.None, entry.Content);
            return true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            TierCallFailed(_logger, "dsn", entry.Id, exception.Message);
            return false;
        }
    }

    private async Task UnderGateAsync(TierLease lease, Func<Task> work)
    {
        await lease.Gate.WaitAsync();
        try
        {
            if (lease.Lost)
            {
                // Another silo owns the entry: this attempt's result stands (a possible duplicate), the entry is not touched.
                _metrics.LostLease();
                return;
            }
            await work();
        }
        finally
        {
            lease.Finish();
            lease.Gate.Release();
        }
    }

    /// <summary>A storage call tried again 1, 2, 4… s apart for half a lease, until it answers or its outcome is unknown.</summary>
    private async Task<Ending> PersistentlyAsync(TierLease lease, Func<Task<bool>> call)
    {
        var giveUpAt = _time.GetUtcNow() + _options.VisibilityLease / 2;
        for (var pause = TimeSpan.FromSeconds(1); ; pause *= 2)
        {
            try
            {
                return await call() ? Ending.Done : Ending.Lost;
            }
            catch (RetryTierOutcomeUnknownException exception)
            {
                TierCallFailed(_logger, "end", lease.Entry.Id, exception.Message);
                return Ending.Unknown;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                if (_time.GetUtcNow() + pause > giveUpAt)
                {
                    TierCallFailed(_logger, "end", lease.Entry.Id, exception.Message);
                    return Ending.Unknown;
                }
                await Task.Delay(pause, _time);
            }
        }
    }

    /// <summary>How ending an entry went: done, taken over by another silo, or not known to have gone through.</summary>
    private enum Ending
    {
        Done,
        Lost,
        Unknown,
    }

    [LoggerMessage(2400, LogLevel.Warning, "Retry tier entry {EntryId} ({Domain}) was taken over by another silo while this one attempted it: the result stands, a delivery may be duplicated")]
    private static partial void LostLease(ILogger logger, string entryId, string domain);

    [LoggerMessage(2401, LogLevel.Warning, "Retry tier call {Kind} for entry {EntryId} failed; the entry reappears after its lease: {Reason}")]
    private static partial void TierCallFailed(ILogger logger, string kind, string entryId, string reason);
}
