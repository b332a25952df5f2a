using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// Several delivering silos as real processes in one Orleans cluster on Azurite: each with its own
/// spool, delivery log, admin port and Orleans port; dnsmasq and the aiosmtpd sinks are shared.
/// The cluster's service id is new for every world, so worlds on one Azurite never meet.
/// </summary>
public sealed class ClusterWorld : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("mailcluster-cluster-");
    private readonly Dictionary<string, AiosmtpdSink> _sinks;
    private readonly List<Member> _members = [];

    private readonly bool _ownsStorage;

    private ClusterWorld(AzuriteServer storage, bool ownsStorage, Dnsmasq dns, Dictionary<string, AiosmtpdSink> sinks, int mxPort)
    {
        _ownsStorage = ownsStorage;
        Storage = storage;
        Dns = dns;
        _sinks = sinks;
        MxPort = mxPort;
    }

    public AzuriteServer Storage { get; }

    public Dnsmasq Dns { get; }

    public int MxPort { get; }

    public string ServiceId { get; } = "t" + Guid.NewGuid().ToString("N")[..12];

    public string AdminToken { get; } = "test-token-" + Guid.NewGuid().ToString("N");

    public IReadOnlyList<SiloProcess> Silos => [.. _members.Select(m => m.Silo)];

    public AiosmtpdSink Sink(string host) => _sinks[host];

    public static Task<ClusterWorld> StartAsync(IEnumerable<string> zone, IEnumerable<string> sinkHosts, double sinkDelaySeconds, int silos, params string[] siloArguments) =>
        StartAsync(null, zone, sinkHosts, sinkDelaySeconds, silos, siloArguments);

    /// <param name="storage">An Azurite shared with other worlds (its service id keeps this world apart); null starts one of its own.</param>
    public static Task<ClusterWorld> StartAsync(AzuriteServer? storage, IEnumerable<string> zone, IEnumerable<string> sinkHosts, double sinkDelaySeconds, int silos, params string[] siloArguments) =>
        StartAsync(storage, zone, port => AiosmtpdSink.StartManyAsync(sinkHosts, port, sinkDelaySeconds), silos, siloArguments);

    /// <summary>Sinks that greet connections from <paramref name="refusePeers"/> with 421 4.7.0 [TSS04] and close them.</summary>
    public static Task<ClusterWorld> StartAsync(IEnumerable<string> zone, IEnumerable<string> sinkHosts, IReadOnlyList<string> refusePeers, int silos, params string[] siloArguments) =>
        StartAsync(null, zone, port => AiosmtpdSink.StartManyAsync(sinkHosts, port, 0, refusePeers), silos, siloArguments);

    private static async Task<ClusterWorld> StartAsync(
        AzuriteServer? storage, IEnumerable<string> zone, Func<int, Task<Dictionary<string, AiosmtpdSink>>> startSinks, int silos, string[] siloArguments)
    {
        var port = LoopbackPorts.Next();
        var sinks = await startSinks(port);
        var world = new ClusterWorld(storage ?? await AzuriteServer.StartAsync(), storage is null, await Dnsmasq.StartAsync(zone), sinks, port);
        // The first silo creates the cluster's tables; the others join it.
        for (var i = 0; i < silos; i++)
        {
            await world.StartSiloAsync(siloArguments);
        }
        return world;
    }

    public async Task StartSiloAsync(params string[] extra)
    {
        var directory = Path.Combine(_directory.Path, $"silo{_members.Count}");
        Directory.CreateDirectory(directory);
        var adminPort = LoopbackPorts.Next();
        string[] arguments =
        [
            .. MailWorld.DeliveryArguments(Dns, MxPort, Path.Combine(directory, "delivery.log"), adminPort, AdminToken),
            "--Cluster:Mode=AzureStorage",
            $"--Cluster:ConnectionString={Storage.ConnectionString}",
            $"--Cluster:ServiceId={ServiceId}",
            "--Cluster:AdvertisedAddress=127.0.0.1",
            .. extra,
        ];
        var silo = new SiloProcess(Path.Combine(directory, "spool"), arguments);
        _members.Add(new Member(silo, adminPort, arguments));
        await silo.StartAsync();
    }

    /// <summary>Starts silo <paramref name="index"/> again (after <see cref="SiloProcess.KillAsync"/>) on its own spool, with its arguments.</summary>
    public async Task RestartSiloAsync(int index)
    {
        var member = _members[index];
        await member.Silo.DisposeAsync();
        var silo = new SiloProcess(member.Silo.SpoolPath, member.Arguments);
        _members[index] = member with { Silo = silo };
        await silo.StartAsync();
    }

    /// <summary>Runs mailctl against one silo's admin API.</summary>
    public Task<CommandResult> MailctlAsync(int silo, params string[] arguments) =>
        ExternalCommand.RunAsync(
            "dotnet",
            [RepositoryLayout.MailctlDll, "--url", $"http://127.0.0.1:{_members[silo].AdminPort}", "--token", AdminToken, .. arguments],
            TimeSpan.FromSeconds(60));

    public string Context() =>
        string.Join('\n', _members.Select((m, i) => $"--- silo {i} ---\n{m.Silo.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            await member.Silo.DisposeAsync();
        }
        foreach (var sink in _sinks.Values)
        {
            await sink.DisposeAsync();
        }
        await Dns.DisposeAsync();
        if (_ownsStorage)
        {
            await Storage.DisposeAsync();
        }
        _directory.Dispose();
    }

    private sealed record Member(SiloProcess Silo, int AdminPort, string[] Arguments);
}
