using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Cluster;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;
using MailCluster.Hosting;
using MailCluster.Spool;
using MailCluster.Testing.IO;
using MailCluster.Testing.Spool;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;

namespace MailCluster.Delivery.Tests;

/// <summary>
/// The site grain in an in-process cluster of two silos: its state in a real spool shared as grain
/// storage, its rules on a stepped clock of their own (the silos' runtime keeps the real one).
/// </summary>
public sealed class DomainGrainTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();
    private ISpool? _spool;
    private InProcessTestCluster? _cluster;

    private InProcessTestCluster Cluster => _cluster!;

    public async Task InitializeAsync()
    {
        _spool = TestSpool.Open(new SpoolOptions { Path = _directory.Path }, _meters, _time);
        var store = (ILocalStateStore)_spool;
        var clock = new SiteClock(_time);
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.Services.AddSingleton(new ShapingRules(new ShapingOptions()));
            silo.Services.AddSingleton(clock);
            silo.Services.AddSingleton(ClusterTimings.Defaults);
            silo.Services.AddGrainStorage(GrainStorageNames.Default, (sp, _) => new LocalGrainStorage(store, sp.GetRequiredService<IGrainStorageSerializer>()));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        if (_spool is not null)
        {
            await _spool.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        _meters.Dispose();
        _directory.Dispose();
    }

    private static SiteReport Report(string silo, int held, int wanted, Guid epoch = default) =>
        new(silo, "dest.test", null, epoch, held, wanted, false, 0, 0, 0, false);

    [Fact]
    public async Task SuspensionIsStoredAndSurvivesTheGrainMovingToAnotherSilo()
    {
        var grain = Cluster.Client.GetGrain<IDomainGrain>("dest.test");
        Assert.True(await grain.SuspendAsync("dest.test"));
        var before = await grain.GetViewAsync();

        await KillAsync(before.HostingSilo);
        var after = await grain.GetViewAsync();

        Assert.NotEqual(before.HostingSilo, after.HostingSilo);
        Assert.NotEqual(before.Epoch, after.Epoch);
        Assert.Equal(["dest.test"], after.SuspendedDomains);
        Assert.True(await grain.ResumeAsync("dest.test"));
        Assert.Empty((await grain.GetViewAsync()).SuspendedDomains);
    }

    [Fact]
    public async Task ASourcesGrainSumsTheSilosReportsAndKeepsItsSuspensionsThroughDeactivation()
    {
        var grain = Cluster.Client.GetGrain<ISourceGrain>("ip51");
        await grain.ReportAsync([new SiteActivity("dest.test", 2, 30)]);
        await grain.ReportAsync([new SiteActivity("dest.test", 1, 12), new SiteActivity("other.test", 1, 1)]);
        await grain.SuspendedAsync("dest.test", suspended: true);

        Assert.Equal([new SiteActivity("dest.test", 3, 42), new SiteActivity("other.test", 1, 1)], (await grain.GetViewAsync()).LastMinute);
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var view = await grain.GetViewAsync();
        // A new activation starts a new minute, and reads the suspensions from storage.
        Assert.Empty(view.LastMinute);
        Assert.Equal(["dest.test"], view.SuspendedDomains);
        Assert.Equal(["dest.test", "other.test"], view.SitesToday);
    }

    [Fact]
    public async Task AWarmUpCountIsWrittenBeforeItsQuotaGoesOutAndSurvivesTheGrainMoving()
    {
        var grain = Cluster.Client.GetGrain<IDomainGrain>("dest.test@fresh");
        var cap = new WarmUpCap(10, null);
        var quota = (await grain.ExchangeAsync(Report("a", 0, 1) with { WantsMessages = true, WarmUp = cap })).WarmUp!;
        Assert.Equal(5, quota.Messages);

        await KillAsync((await grain.GetViewAsync()).HostingSilo);
        // The new activation counts the 5 handed out; "a" giving them back to it changes nothing.
        var next = (await grain.ExchangeAsync(Report("b", 0, 1) with { WantsMessages = true, WarmUp = cap, UnspentQuota = 5 })).WarmUp!;
        Assert.Equal(3, next.Messages);
        var view = await grain.GetViewAsync();
        Assert.Equal((8, 8, cap), (view.WarmUpToday, view.WarmUpThisHour, view.WarmUpCap));
    }

    [Fact]
    public async Task AfterAMoveSilosKeepWhatTheyHoldAndNobodyGetsMoreUntilTheOldLeasesRanOut()
    {
        var grain = Cluster.Client.GetGrain<IDomainGrain>("dest.test");
        var first = await grain.ExchangeAsync(Report("a", 0, 10));
        Assert.Equal(10, first.Connections);
        var hosting = (await grain.GetViewAsync()).HostingSilo;

        await KillAsync(hosting);
        _time.Advance(TimeSpan.FromSeconds(2));
        var renewed = await grain.ExchangeAsync(Report("a", 10, 10, first.Epoch));
        Assert.Equal(10, renewed.Connections);
        Assert.NotEqual(first.Epoch, renewed.Epoch);
        Assert.Equal(0, (await grain.ExchangeAsync(Report("b", 0, 10))).Connections);

        // a lets 5 go; b still gets nothing new while the earlier activation's leases may be out.
        Assert.Equal(5, (await grain.ExchangeAsync(Report("a", 5, 5, renewed.Epoch))).Connections);
        Assert.Equal(0, (await grain.ExchangeAsync(Report("b", 0, 10))).Connections);

        // a keeps renewing its five; b gets the other five only at the horizon the first activation
        // stored (three lease periods and the lapse grace after its first grant): until then it might
        // still be alive and granting, or its silos finishing transactions on lapsed leases.
        var horizon = TimeSpan.FromTicks(3 * ClusterTimings.Defaults.SiteLeasePeriod.Ticks) + ClusterTimings.Defaults.SiteLapseGrace - TimeSpan.FromSeconds(2);
        _time.Advance(horizon - TimeSpan.FromSeconds(1));
        Assert.Equal(5, (await grain.ExchangeAsync(Report("a", 5, 5, renewed.Epoch))).Connections);
        Assert.Equal(0, (await grain.ExchangeAsync(Report("b", 0, 10))).Connections);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(5, (await grain.ExchangeAsync(Report("b", 0, 10))).Connections);
    }

    [Fact]
    public async Task AReloadRequestOutlivesTheActivationAndSilosThatWentQuietDropOutOfTheReports()
    {
        var grain = Cluster.Client.GetGrain<IShapingGrain>(0);
        Assert.Equal(ShapingRequest.None, await grain.ReportAsync(new ShapingReport("a", "hash-1", Guid.Empty, null, default)));
        var request = await grain.RequestReloadAsync("hash-2");
        Assert.NotEqual(Guid.Empty, request.Id);
        Assert.Equal(request, await grain.ReportAsync(new ShapingReport("b", "hash-1", Guid.Empty, null, default)));
        await grain.ReportAsync(new ShapingReport("a", "hash-2", request.Id, null, default));
        Assert.Equal([("a", "hash-2"), ("b", "hash-1")], (await grain.GetReportsAsync()).Select(r => (r.Silo, r.Hash)));

        _time.Advance(ShapingGrain.ReportsKept);
        await grain.ReportAsync(new ShapingReport("a", "hash-2", request.Id, "Shaping:Rules:0:MessageRate is 'lots'", default));
        _time.Advance(TimeSpan.FromSeconds(1));
        var left = Assert.Single(await grain.GetReportsAsync());
        Assert.Equal(("a", "Shaping:Rules:0:MessageRate is 'lots'"), (left.Silo, left.Error));

        // A new activation has no reports yet, but the stored request with the hash to reach.
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Empty(await grain.GetReportsAsync());
        Assert.Equal(new ShapingRequest(request.Id, "hash-2"), await grain.ReportAsync(new ShapingReport("c", "hash-2", Guid.Empty, null, default)));
    }

    /// <summary>Kills the silo and waits until the cluster's membership has settled without it: the grain then activates elsewhere.</summary>
    private async Task KillAsync(string silo)
    {
        await Cluster.KillSiloAsync(Cluster.Silos.Single(s => s.Name == silo));
        await Cluster.WaitForLivenessToStabilizeAsync(didKill: true);
    }
}
