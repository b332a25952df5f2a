using MailCluster.Cluster.RetryTier;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// Ends a received entry once every job of it came back: delivered and bounced recipients leave it
/// (the DSN spooled here first, once per entry and attempt in the whole cluster), deferred ones stay
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
            if (await DsnOnceAsync(lease, failed, endpoint: null))
            {
                await EndAsync(lease, delete: true, null, default, reason);
            }
            else
            {
                await PutBackAsync(lease, "dsn_failed");
            }
        });
    }

    /// <summary>Deletes an entry without a DSN (an operator's delete).</summary>
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
            if (failed.Count > 0 && !await DsnOnceAsync(lease, failed, endpoint))
            {
                // The DSN could not be spooled: nothing changes, and the attempt is made again after a hold.
                await PutBackAsync(lease, "dsn_failed");
                return;
            }
            var remaining = all.Where(o => o.Outcome is null || o.Outcome.Verdict == DeliveryVerdict.Deferred).ToList();
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
            var due = remaining.Select(o => o.Next ?? now).Min();
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

    private async Task EndAsync(TierLease lease, bool delete, RetryEntry? updated, DateTimeOffset due, string? reason)
    {
        var kept = await PersistentlyAsync(lease, () => delete
            ? _tier.DeleteAsync(lease.Received, CancellationToken.None)
            : _tier.RescheduleAsync(lease.Received, updated!, due, CancellationToken.None));
        if (kept == false)
        {
            lease.Lost = true;
            _metrics.LostLease();
            LostLease(_logger, lease.Entry.Id, lease.Entry.Domain);
        }
        else if (kept == true && delete)
        {
            _metrics.Moved("out", reason!, 1);
        }
    }

    /// <summary>
    /// Spools the DSN once per entry and attempt in the cluster: the claim comes first, so a crash
    /// between the DSN and the entry's rewrite never makes a second one. False when it could not be
    /// spooled (the claim is given back).
    /// </summary>
    private async Task<bool> DsnOnceAsync(TierLease lease, IReadOnlyList<(DueRecipient, DeliveryOutcome)> failed, MxEndpoint? endpoint)
    {
        var entry = lease.Entry;
        try
        {
            if (!await _tier.TryClaimDsnAsync(entry.Id, entry.Attempts, CancellationToken.None))
            {
                return true;
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            TierCallFailed(_logger, "dsn", entry.Id, exception.Message);
            return false;
        }
        try
        {
            await _bounces.SendAsync(entry.Message, [.. failed.Select(f => new FailedRecipient(f.Item1, f.Item2, endpoint))], _time.GetUtcNow(), CancellationToken.None, entry.Content);
            return true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            TierCallFailed(_logger, "dsn", entry.Id, exception.Message);
            try
            {
                await _tier.ReleaseDsnAsync(entry.Id, entry.Attempts, CancellationToken.None);
            }
            catch (Exception release) when (release is not OutOfMemoryException)
            {
                // The claim stays: this entry's DSN for this attempt is lost; said in the log.
                TierCallFailed(_logger, "dsn-release", entry.Id, release.Message);
            }
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

    /// <summary>A storage call tried again 1, 2, 4… s apart for half a lease; null when it never went through.</summary>
    private async Task<bool?> PersistentlyAsync(TierLease lease, Func<Task<bool>> call)
    {
        var giveUpAt = _time.GetUtcNow() + _options.VisibilityLease / 2;
        for (var pause = TimeSpan.FromSeconds(1); ; pause *= 2)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                if (_time.GetUtcNow() + pause > giveUpAt)
                {
                    TierCallFailed(_logger, "end", lease.Entry.Id, exception.Message);
                    return null;
                }
                await Task.Delay(pause, _time);
            }
        }
    }

    [LoggerMessage(2400, LogLevel.Warning, "Retry tier entry {EntryId} ({Domain}) was taken over by another silo while this one attempted it: the result stands, a delivery may be duplicated")]
    private static partial void LostLease(ILogger logger, string entryId, string domain);

    [LoggerMessage(2401, LogLevel.Warning, "Retry tier call {Kind} for entry {EntryId} failed; the entry reappears after its lease: {Reason}")]
    private static partial void TierCallFailed(ILogger logger, string kind, string entryId, string reason);
}
