using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Spool;
using Microsoft.Extensions.Configuration;

namespace MailCluster.Delivery.Actors;

/// <summary>A domain's queue and actor state, for the admin API.</summary>
public sealed record DomainStatus(string Domain, long Due, long Deferred, long InFlight, DateTimeOffset? OldestArrival, int Connections, bool BackingOff, bool Suspended);

/// <summary>
/// What an operator can do to the queue without a restart: look, suspend and resume a domain,
/// retry now, bounce (with the DSN RFC 3464 calls for) or delete recipients.
/// </summary>
public sealed class QueueOperations
{
    private readonly ISpoolOperations _operations;
    private readonly IDeliveryQueue _queue;
    private readonly DomainActorDirectory _directory;
    private readonly ShapingRules _shaping;
    private readonly AttemptRecorder _recorder;
    private readonly DeliveryTrigger _trigger;
    private readonly TimeProvider _time;

    internal QueueOperations(ISpoolOperations operations, IDeliveryQueue queue, DomainActorDirectory directory, ShapingRules shaping, AttemptRecorder recorder, DeliveryTrigger trigger, TimeProvider time)
    {
        _operations = operations;
        _queue = queue;
        _directory = directory;
        _shaping = shaping;
        _recorder = recorder;
        _trigger = trigger;
        _time = time;
    }

    public async Task<IReadOnlyList<DomainStatus>> DomainsAsync(CancellationToken cancellationToken)
    {
        var summaries = await _operations.GetDomainSummariesAsync(_time.GetUtcNow(), cancellationToken);
        var actors = _directory.Active.Select(a => a.Snapshot).ToDictionary(a => a.Domain, StringComparer.OrdinalIgnoreCase);
        var statuses = summaries.Select(s => Status(s.Domain, s, actors.GetValueOrDefault(s.Domain))).ToList();
        // Active or suspended domains with nothing queued are shown too: an operator suspended them for a reason.
        var queued = summaries.Select(s => s.Domain).ToHashSet(StringComparer.OrdinalIgnoreCase);
        statuses.AddRange(actors.Keys.Union(_directory.Suspended, StringComparer.OrdinalIgnoreCase).Where(d => !queued.Contains(d))
            .Select(d => Status(d, null, actors.GetValueOrDefault(d))));
        return statuses;
    }

    /// <summary>One domain's status, or null when it has nothing queued, no actor and no suspension.</summary>
    public async Task<DomainStatus?> DomainAsync(string domain, CancellationToken cancellationToken) =>
        (await DomainsAsync(cancellationToken)).FirstOrDefault(s => s.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase));

    public void Suspend(string domain) => _directory.Suspend(domain);

    public void Resume(string domain)
    {
        _directory.Resume(domain);
        _trigger.Notify();
    }

    /// <summary>
    /// Puts reloaded shaping rules (section <c>Shaping</c> of <paramref name="configuration"/>) in force and
    /// has every active domain resolve its limits again; returns the rule count, or the errors when the
    /// rules are invalid (the rules in force then stay).
    /// </summary>
    public (int Rules, IReadOnlyList<string> Errors) ReloadShaping(IConfiguration configuration)
    {
        var shaping = configuration.GetSection("Shaping").Get<ShapingOptions>() ?? new ShapingOptions();
        var errors = shaping.Validate().ToList();
        if (errors.Count > 0)
        {
            return (0, errors);
        }
        _shaping.Replace(shaping);
        _directory.Reshape();
        return (shaping.Rules.Count, []);
    }

    /// <summary>Makes the selected recipients due now and wakes the scheduler; returns how many.</summary>
    public async Task<int> RetryNowAsync(RecipientSelector selector, CancellationToken cancellationToken)
    {
        var count = await _operations.RescheduleAsync(selector, _time.GetUtcNow(), cancellationToken);
        _trigger.Notify();
        return count;
    }

    /// <summary>Fails the selected recipients permanently; their senders get a DSN (RFC 3464) unless NOTIFY said otherwise.</summary>
    public Task<int> BounceAsync(RecipientSelector selector, CancellationToken cancellationToken) =>
        FinishAsync(selector, DeliveryOutcomeClassifier.BouncedByOperator(), cancellationToken);

    /// <summary>Removes the selected recipients silently (no DSN): for spam runs and test mail.</summary>
    public async Task<int> DeleteAsync(RecipientSelector selector, CancellationToken cancellationToken)
    {
        var claimed = await _operations.ClaimSelectedAsync(selector, cancellationToken);
        await _queue.RecordOutcomesAsync(claimed.Select(r => new RecipientOutcome(r.Id, OutcomeAction.Deleted, LastReply: "deleted by operator")).ToList(), cancellationToken);
        return claimed.Count;
    }

    private async Task<int> FinishAsync(RecipientSelector selector, DeliveryOutcome outcome, CancellationToken cancellationToken)
    {
        var claimed = await _operations.ClaimSelectedAsync(selector, cancellationToken);
        await Task.WhenAll(claimed.GroupBy(r => (r.Message, r.Domain))
            .Select(group => _recorder.RecordUnattemptedAsync(group.Key.Domain, new DeliveryJob(group.Key.Message, group.ToList()), outcome)));
        return claimed.Count;
    }

    private DomainStatus Status(string domain, DomainQueueSummary? summary, DomainSnapshot? actor) => new(
        domain,
        summary?.Due ?? 0,
        summary?.Deferred ?? 0,
        summary?.InFlight ?? 0,
        summary?.OldestArrival,
        actor?.Connections ?? 0,
        actor?.IsBackingOff(_time.GetUtcNow()) ?? false,
        _directory.IsSuspended(domain));
}
