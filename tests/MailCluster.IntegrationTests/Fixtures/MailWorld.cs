using System.Text.RegularExpressions;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A silo that delivers for real on loopback: dnsmasq serves the test zones, aiosmtpd sinks are the
/// MX hosts (each on its own 127.x address, all on one free port that the silo uses as "port 25"),
/// and the silo's delivery log is a file the test can read.
/// </summary>
public sealed partial class MailWorld : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly Dictionary<string, AiosmtpdSink> _sinks;

    private MailWorld(TempDirectory directory, Dnsmasq dns, Dictionary<string, AiosmtpdSink> sinks, int mxPort)
    {
        _directory = directory;
        Dns = dns;
        _sinks = sinks;
        MxPort = mxPort;
        Silo = null!;
    }

    public Dnsmasq Dns { get; }

    public SiloProcess Silo { get; private set; }

    public int MxPort { get; }

    /// <summary>The admin API of the silo: its own port and a token.</summary>
    public int AdminPort { get; } = LoopbackPorts.Next();

    public string AdminToken { get; } = "test-token-" + Guid.NewGuid().ToString("N");

    /// <summary>Runs mailctl against this world's silo (with the right token unless one is given).</summary>
    public Task<CommandResult> MailctlAsync(string[] arguments, string? token = null) =>
        ExternalCommand.RunAsync(
            "dotnet",
            [RepositoryLayout.MailctlDll, "--url", $"http://127.0.0.1:{AdminPort}", "--token", token ?? AdminToken, .. arguments],
            TimeSpan.FromSeconds(60));

    public string SpoolPath => Path.Combine(_directory.Path, "spool");

    public string DeliveryLogPath => Path.Combine(_directory.Path, "delivery.log");

    public AiosmtpdSink Sink(string host) => _sinks[host];

    /// <summary>As below, with sinks that greet connections from <paramref name="refusePeers"/> with 421 and close.</summary>
    public static Task<MailWorld> StartAsync(IEnumerable<string> zone, IEnumerable<string> sinkHosts, IReadOnlyList<string> refusePeers, params string[] siloArguments) =>
        StartAsync(zone, port => Task.WhenAll(sinkHosts.Select(host => AiosmtpdSink.StartAsync(host, port, refusePeers: refusePeers))), siloArguments);

    /// <summary>Starts dnsmasq with <paramref name="zone"/>, a sink on each host in <paramref name="sinkHosts"/>, then the silo.</summary>
    public static Task<MailWorld> StartAsync(IEnumerable<string> zone, IEnumerable<string> sinkHosts, double sinkDelaySeconds = 0, params string[] siloArguments) =>
        StartAsync(zone, async port => [.. (await AiosmtpdSink.StartManyAsync(sinkHosts, port, sinkDelaySeconds)).Values], siloArguments);

    private static async Task<MailWorld> StartAsync(IEnumerable<string> zone, Func<int, Task<AiosmtpdSink[]>> startSinks, string[] siloArguments)
    {
        var directory = new TempDirectory("mailcluster-world-");
        var port = LoopbackPorts.Next();
        var sinks = (await startSinks(port)).ToDictionary(s => s.Host);
        var world = new MailWorld(directory, await Dnsmasq.StartAsync(zone), sinks, port);
        await world.StartSiloAsync(siloArguments);
        return world;
    }

    /// <summary>Starts (or, after <see cref="SiloProcess.KillAsync"/>, restarts) the silo on the same spool.</summary>
    public async Task StartSiloAsync(params string[] extra)
    {
        string[] arguments =
        [
            .. DeliveryArguments(Dns, MxPort, DeliveryLogPath, AdminPort, AdminToken),
            .. extra,
        ];
        Silo = new SiloProcess(SpoolPath, arguments);
        await Silo.StartAsync();
    }

    /// <summary>A delivering silo's arguments: DNS from dnsmasq, the sinks' port as port 25, fast retries, its log and admin API.</summary>
    public static string[] DeliveryArguments(Dnsmasq dns, int mxPort, string deliveryLogPath, int adminPort, string adminToken) =>
    [
        "--Delivery:Enabled=true",
        $"--Dns:Nameservers:0={dns.Address}",
        "--Dns:Timeout=00:00:02",
        $"--Delivery:SmtpPort={mxPort}",
        "--Delivery:AllowedMxNetworks=127.0.0.0/8",
        "--Delivery:HeloName=silo.test",
        "--Delivery:ConnectTimeout=00:00:05",
        $"--Delivery:LogPath={deliveryLogPath}",
        "--Delivery:Retry:Schedule=00:00:02",
        "--Delivery:PollInterval=00:00:00.200",
        $"--Admin:Listen=127.0.0.1:{adminPort}",
        $"--Admin:Token={adminToken}",
    ];

    /// <summary>Waits (bounded) until the spool holds no message: everything delivered or bounced.</summary>
    public Task WaitForEmptySpoolAsync(TimeSpan? timeout = null)
    {
        var counts = default(Spool.SpoolCounts);
        return Polling.UntilAsync(
            async () => (counts = await SpoolInspector.CountAsync(SpoolPath)).Messages == 0,
            timeout ?? TimeSpan.FromSeconds(30),
            () => $"spool still holds {counts}\n{Context()}",
            TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Waits (bounded) for a delivery log line containing <paramref name="fragment"/>; the log is written just after the spool.</summary>
    public async Task<string> WaitForLogAsync(string fragment)
    {
        string? line = null;
        await Polling.UntilAsync(
            () => Task.FromResult((line = DeliveryLog().FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal))) is not null),
            TimeSpan.FromSeconds(30),
            () => $"no '{fragment}' in the delivery log\n{Context()}",
            TimeSpan.FromMilliseconds(100));
        return line!;
    }

    /// <summary>Waits (bounded) until a counter of the silo's /metrics (one exact series line) reaches <paramref name="atLeast"/>.</summary>
    public Task WaitForMetricAsync(string series, double atLeast) => Silo.WaitForMetricAsync(series, atLeast, Context);

    public string[] DeliveryLog() => File.Exists(DeliveryLogPath) ? File.ReadAllLines(DeliveryLogPath) : [];

    /// <summary>Everything a failing test should show: the silo's output and the delivery log.</summary>
    public string Context() => $"--- silo ---\n{Silo.Output}\n--- delivery log ---\n{string.Join('\n', DeliveryLog())}";

    /// <summary>The queue id that our Received header recorded in delivered content.</summary>
    public static string QueueIdOf(SinkMessage message) => ReceivedId().Match(message.Content).Groups[1].Value;

    public async ValueTask DisposeAsync()
    {
        await Silo.DisposeAsync();
        foreach (var sink in _sinks.Values)
        {
            await sink.DisposeAsync();
        }
        await Dns.DisposeAsync();
        _directory.Dispose();
    }

    [GeneratedRegex(@"by silo\.test \(MailCluster\) with \S+(?: \([^)]*\))? id ([0-9A-Z]+)")]
    private static partial Regex ReceivedId();
}
