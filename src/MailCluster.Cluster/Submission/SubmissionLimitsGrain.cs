namespace MailCluster.Cluster.Submission;

/// <summary>
/// The cluster's view of submission abuse limits (one grain, key 0): each silo reports its own
/// counts once a period (messages per user in the last hour, failed AUTH per client address) and
/// gets back the sums of every other silo's, which its ingress adds to its own without a call per
/// command. Reports are absolute, not increments, so a lost call or a grain that moved (its state
/// is memory only) is whole again after one period.
/// </summary>
[Alias("mailcluster.ISubmissionLimitsGrain")]
public interface ISubmissionLimitsGrain : IGrainWithIntegerKey
{
    [Alias("Exchange")]
    Task<SubmissionCounts> ExchangeAsync(string silo, SubmissionCounts own, CancellationToken cancellationToken = default);
}

/// <summary>
/// Counts of one silo, or the sums of others: messages sent per user in the last hour, and failed
/// AUTH per client address (its count and latest failure).
/// </summary>
[GenerateSerializer, Immutable, Alias("mailcluster.SubmissionCounts")]
public sealed record SubmissionCounts(
    [property: Id(0)] IReadOnlyDictionary<string, int> SentInTheLastHour,
    [property: Id(1)] IReadOnlyDictionary<string, AuthFailureCount> AuthFailures)
{
    public static readonly SubmissionCounts None = new(new Dictionary<string, int>(), new Dictionary<string, AuthFailureCount>());
}

/// <summary>Failed AUTH from one client address: how many, and when the latest was.</summary>
[GenerateSerializer, Immutable, Alias("mailcluster.AuthFailureCount")]
public readonly record struct AuthFailureCount([property: Id(0)] int Count, [property: Id(1)] DateTimeOffset Last);

internal sealed class SubmissionLimitsGrain(TimeProvider time) : Grain, ISubmissionLimitsGrain
{
    private readonly SubmissionLedger _ledger = new();

    public Task<SubmissionCounts> ExchangeAsync(string silo, SubmissionCounts own, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ledger.Exchange(silo, own, time.GetUtcNow()));
}

/// <summary>The grain's bookkeeping: every silo's latest report, and the sums of the others' for each asker.</summary>
internal sealed class SubmissionLedger
{
    /// <summary>
    /// A silo not heard from for this long left the cluster; until then its last counts stand
    /// (a silo that died keeps counting against its users, on the safe side, for at most the hour).
    /// </summary>
    public static readonly TimeSpan ReportsKept = TimeSpan.FromHours(1);

    private readonly Dictionary<string, (SubmissionCounts Counts, DateTimeOffset At)> _reports = new(StringComparer.Ordinal);

    public SubmissionCounts Exchange(string silo, SubmissionCounts own, DateTimeOffset now)
    {
        _reports[silo] = (own, now);
        foreach (var gone in _reports.Where(r => now - r.Value.At >= ReportsKept).Select(r => r.Key).ToList())
        {
            _reports.Remove(gone);
        }
        var sent = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var failures = new Dictionary<string, AuthFailureCount>(StringComparer.Ordinal);
        foreach (var (other, (counts, _)) in _reports)
        {
            if (other == silo)
            {
                continue;
            }
            foreach (var (user, count) in counts.SentInTheLastHour)
            {
                sent[user] = sent.GetValueOrDefault(user) + count;
            }
            foreach (var (client, failure) in counts.AuthFailures)
            {
                failures[client] = failures.TryGetValue(client, out var sum)
                    ? new AuthFailureCount(sum.Count + failure.Count, failure.Last > sum.Last ? failure.Last : sum.Last)
                    : failure;
            }
        }
        return new SubmissionCounts(sent, failures);
    }
}
