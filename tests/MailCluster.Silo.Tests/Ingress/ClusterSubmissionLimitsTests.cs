using System.Net;
using MailCluster.Cluster;
using MailCluster.Cluster.Submission;
using MailCluster.Silo.Ingress.Submission;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace MailCluster.Silo.Tests.Ingress;

/// <summary>
/// Per-user hourly counts and the AUTH lockout across silos: the ledger's sums, then two silos'
/// limits exchanging through the real grain in an in-process cluster, on a stepped clock.
/// </summary>
public sealed class ClusterSubmissionLimitsTests : IAsyncLifetime
{
    private static readonly IPAddress s_guesser = IPAddress.Parse("192.0.2.66");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private InProcessTestCluster? _cluster;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.Services.AddSingleton<TimeProvider>(_time));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public void TheLedgerSumsTheOtherSilosOnlyAndForgetsASiloAfterAnHour()
    {
        var ledger = new SubmissionLedger();
        var now = _time.GetUtcNow();
        ledger.Exchange("a", Counts(("alice", 3)), now);
        ledger.Exchange("b", Counts(("ALICE", 2), ("bob", 1)), now.AddMinutes(30));

        var forC = ledger.Exchange("c", SubmissionCounts.None, now.AddMinutes(31));
        Assert.Equal(5, forC.SentInTheLastHour["alice"]);
        Assert.Equal(1, forC.SentInTheLastHour["bob"]);
        Assert.Equal(3, ledger.Exchange("b", Counts(("alice", 2)), now.AddMinutes(32)).SentInTheLastHour["alice"]);

        // a has not reported for an hour: it left.
        var later = ledger.Exchange("c", SubmissionCounts.None, now.AddMinutes(60));
        Assert.Equal(2, later.SentInTheLastHour["alice"]);
        Assert.False(later.SentInTheLastHour.ContainsKey("bob"));
    }

    [Fact]
    public void TheLedgerAddsFailuresOfOneAddressAndKeepsTheLatest()
    {
        var ledger = new SubmissionLedger();
        var now = _time.GetUtcNow();
        ledger.Exchange("a", Failures(2, now), now);
        ledger.Exchange("b", Failures(3, now.AddSeconds(5)), now);

        var forC = ledger.Exchange("c", SubmissionCounts.None, now);
        Assert.Equal(new AuthFailureCount(5, now.AddSeconds(5)), forC.AuthFailures[s_guesser.ToString()]);
        Assert.Equal(new AuthFailureCount(3, now.AddSeconds(5)), ledger.Exchange("a", Failures(2, now), now).AuthFailures[s_guesser.ToString()]);
    }

    [Fact]
    public async Task TwoSilosHoldOneHourlyCountAndOneLockoutAndFallBackToTheirOwnWhenTheGrainIsGone()
    {
        var (hourlyA, failuresA, a) = Silo("a");
        var (hourlyB, failuresB, b) = Silo("b");
        for (var i = 0; i < 3; i++)
        {
            Send(hourlyA, "alice");
        }
        Send(hourlyB, "alice");
        Send(hourlyB, "alice");
        Assert.NotNull(failuresA.Begin(s_guesser, "alice"));
        Assert.NotNull(failuresA.Begin(s_guesser, "alice"));
        Assert.NotNull(failuresB.Begin(s_guesser, "alice"));
        Assert.NotNull(failuresB.Begin(s_guesser, "alice"));
        Assert.False(failuresA.IsClientBlocked(s_guesser));

        await a.ExchangeAsync(default);
        await b.ExchangeAsync(default);
        await a.ExchangeAsync(default);

        Assert.Equal(5, hourlyA.SentInTheLastHour("alice"));
        Assert.Equal(5, hourlyB.SentInTheLastHour("alice"));
        Assert.True(failuresA.IsClientBlocked(s_guesser));
        Assert.True(failuresB.IsClientBlocked(s_guesser));
        // The cluster's count is the limit: a fifth attempt anywhere is refused before its password is checked.
        Assert.Null(failuresB.Begin(s_guesser, "bob"));

        // The hour slides: what a silo sent leaves the others' sum at its next report.
        _time.Advance(TimeSpan.FromMinutes(61));
        Send(hourlyA, "alice");
        await a.ExchangeAsync(default);
        await b.ExchangeAsync(default);
        Assert.Equal(1, hourlyB.SentInTheLastHour("alice"));
        Assert.False(failuresB.IsClientBlocked(s_guesser));

        // No grain: the others' counts stand until stale, then each silo counts alone.
        Send(hourlyB, "alice");
        await b.ExchangeAsync(default);
        await a.ExchangeAsync(default);
        await _cluster!.StopAllSilosAsync();
        await a.ExchangeAsync(default);
        Assert.Equal(2, hourlyA.SentInTheLastHour("alice"));
        _time.Advance(ClusterTimings.Defaults.SubmissionStaleAfter);
        await a.ExchangeAsync(default);
        Assert.Equal(1, hourlyA.SentInTheLastHour("alice"));
    }

    private (HourlyCounts, AuthFailures, ClusterSubmissionLimits) Silo(string name)
    {
        var hourly = new HourlyCounts(_time);
        var failures = new AuthFailures(4, 100, TimeSpan.FromMinutes(10), _time);
        return (hourly, failures, new ClusterSubmissionLimits(_cluster!.Client, name, hourly, failures, ClusterTimings.Defaults, _time, NullLogger.Instance));
    }

    private static void Send(HourlyCounts hourly, string user) => hourly.TryReserve(user, int.MaxValue)!.Commit();

    private static SubmissionCounts Counts(params (string User, int Sent)[] sent) =>
        new(sent.ToDictionary(s => s.User, s => s.Sent), new Dictionary<string, AuthFailureCount>());

    private static SubmissionCounts Failures(int count, DateTimeOffset last) =>
        new(new Dictionary<string, int>(), new Dictionary<string, AuthFailureCount> { [s_guesser.ToString()] = new(count, last) });
}
