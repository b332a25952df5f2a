using MailCluster.Cluster.RetryTier;
using MailCluster.Spool;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// Moves mail from this silo's spool into the retry tier: every <see cref="RetryTierOptions.MoveInterval"/>
/// the recipients that were deferred here (mail is first attempted where it arrived), and at
/// SIGTERM or <c>mailctl drain</c> the whole local queue, due at once. Each entry is written,
/// content first, before its recipients leave the spool; what cannot be written (the tier is
/// unreachable) stays in the spool on its normal schedule and moves on a later pass. Acceptance
/// never waits on this.
/// </summary>
internal sealed partial class TierMover : BackgroundService
{
    private const int ClaimBatch = 500;
    private const int ParallelWrites = 16;

    private readonly IRetryTier _tier;
    private readonly ISpoolOperations _operations;
    private readonly IDeliveryQueue _queue;
    private readonly RetryTierOptions _options;
    private readonly RetryTierMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public TierMover(
        IRetryTier tier, ISpoolOperations operations, IDeliveryQueue queue, RetryTierOptions options, RetryTierMetrics metrics,
        TimeProvider time, IHostApplicationLifetime lifetime, ILogger logger)
    {
        _tier = tier;
        _operations = operations;
        _queue = queue;
        _options = options;
        _metrics = metrics;
        _time = time;
        _lifetime = lifetime;
        _logger = logger;
    }

    /// <summary>
    /// SIGTERM, after the delivery room stopped (its actors handed their work back): the whole
    /// local queue goes to the tier within <see cref="RetryTierOptions.HandOffTimeout"/>; what is
    /// left stays in the spool for the next start.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var moved = await HandOffAsync(CancellationToken.None);
        HandedOff(_logger, moved.Moved, moved.Left);
    }

    /// <summary>Hands the whole local queue to the tier, due now; how many recipients moved, and how many are left.</summary>
    public async Task<(int Moved, int Left)> HandOffAsync(CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_options.HandOffTimeout, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var moved = 0;
        int left;
        // A round that fails (storage slow or away) is tried again a second later, until the deadline.
        while (true)
        {
            moved += await MoveAsync(minAttempts: 0, dueNow: true, either.Token);
            left = await QueuedAsync();
            if (left == 0 || either.IsCancellationRequested)
            {
                return (moved, left);
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, either.Token);
            }
            catch (OperationCanceledException)
            {
                return (moved, left);
            }
        }
    }

    private async Task<int> QueuedAsync() =>
        (await _operations.GetDomainSummariesAsync(_time.GetUtcNow(), CancellationToken.None)).Sum(d => (int)(d.Due + d.Deferred));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _lifetime.ApplicationStopping);
        using var timer = new PeriodicTimer(_options.MoveInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token))
            {
                await MoveAsync(minAttempts: 1, dueNow: false, stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown: StopAsync hands off the rest.
        }
    }

    /// <summary>Moves claimed batches until none is left, the tier fails or time is up; returns how many recipients moved.</summary>
    private async Task<int> MoveAsync(int minAttempts, bool dueNow, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(CancellationToken.None);
        var moved = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var claimed = await _operations.ClaimForHandOffAsync(minAttempts, ClaimBatch, CancellationToken.None);
                if (claimed.Count == 0)
                {
                    break;
                }
                var (done, failed) = await WriteAsync(claimed, dueNow, cancellationToken);
                moved += done;
                if (failed)
                {
                    break;
                }
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The spool could not be read or written now: the next pass tries again.
            MoveFailed(_logger, exception.Message);
        }
        finally
        {
            _gate.Release();
        }
        return moved;
    }

    /// <summary>Writes one claimed batch as entries (a message's recipients of one domain each); the written ones leave the spool, the others are released.</summary>
    private async Task<(int Moved, bool Failed)> WriteAsync(IReadOnlyList<HandOffRecipient> claimed, bool dueNow, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var groups = claimed.GroupBy(c => (c.Due.Message.QueueId, c.Due.Domain)).ToList();
        var written = new List<HandOffRecipient>();
        var failed = false;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = stop.Token }, async (group, token) =>
            {
                var recipients = group.ToList();
                var content = await _queue.ReadContentAsync(group.Key.QueueId, CancellationToken.None);
                if (content is null)
                {
                    return;
                }
                var entry = new RetryEntry(
                    RetryEntry.NewId(),
                    group.Key.Domain,
                    recipients[0].Due.Message,
                    [.. recipients.Select(r => r.Due.Recipient)],
                    recipients.Max(r => r.Due.Attempts),
                    recipients.Select(r => r.LastReply).FirstOrDefault(r => r is not null),
                    Receives: 0,
                    now,
                    content);
                try
                {
                    await _tier.AddAsync(entry, dueNow ? now : recipients.Min(r => r.NextAttemptAt), token);
                }
                catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
                {
                    failed = true;
                    MoveFailed(_logger, exception.Message);
                    await stop.CancelAsync();
                    return;
                }
                lock (written)
                {
                    written.AddRange(recipients);
                }
            });
        }
        catch (OperationCanceledException)
        {
            // A failed write or the deadline: the rest is released below.
        }
        var moved = written.Select(w => w.Due.Id).ToHashSet();
        await _queue.RecordOutcomesAsync(
            [.. claimed.Select(c => new RecipientOutcome(c.Due.Id, moved.Contains(c.Due.Id) ? OutcomeAction.Deleted : OutcomeAction.Released))],
            CancellationToken.None);
        if (written.Count > 0)
        {
            _metrics.Moved("in", dueNow ? "handoff" : "deferred", written.GroupBy(w => (w.Due.Message.QueueId, w.Due.Domain)).Count());
        }
        return (written.Count, failed || written.Count < claimed.Count);
    }

    [LoggerMessage(2420, LogLevel.Warning, "Could not move deferred mail to the retry tier; it stays in the local spool and moves later: {Reason}")]
    private static partial void MoveFailed(ILogger logger, string reason);

    [LoggerMessage(2421, LogLevel.Information, "Handed {Moved} recipients to the retry tier; {Left} stay in the local spool for the next start")]
    private static partial void HandedOff(ILogger logger, int moved, int left);
}
