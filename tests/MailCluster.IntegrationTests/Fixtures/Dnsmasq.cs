using System.Net;
using System.Net.Sockets;
using MailCluster.Dns;
using MailCluster.Dns.Mx;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A real dnsmasq on 127.0.0.1 with a free port, serving only the zone lines it is given. It is a
/// child process of the test run: never a daemon, never reads /etc/resolv.conf or /etc/hosts.
/// </summary>
public sealed class Dnsmasq : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/dnsmasq";
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(10);

    private readonly PeerProcess _peer;
    private readonly string _configPath;

    private Dnsmasq(PeerProcess peer, string configPath, int port)
    {
        _peer = peer;
        _configPath = configPath;
        Port = port;
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:port", the form DnsOptions.Nameservers takes.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public string Output => _peer.Output;

    public static async Task<Dnsmasq> StartAsync(IEnumerable<string> zoneLines)
    {
        var port = FreeLoopbackPort();
        var configPath = Path.Combine(Path.GetTempPath(), $"mailcluster-dnsmasq-{Guid.NewGuid():N}.conf");
        await File.WriteAllLinesAsync(configPath, zoneLines);
        var peer = PeerProcess.Start(Executable,
        [
            "--no-daemon", "--no-resolv", "--no-hosts", "--listen-address=127.0.0.1", $"--port={port}",
            "--bind-interfaces", "--pid-file=", "--cache-size=0", $"--conf-file={configPath}",
        ]);
        var dnsmasq = new Dnsmasq(peer, configPath, port);
        await peer.WaitUntilAcceptingAsync(new IPEndPoint(IPAddress.Loopback, port), s_startTimeout, () => dnsmasq.Output);
        return dnsmasq;
    }

    /// <summary>
    /// A resolver stack pointed at the given nameservers, with bounded timeouts: one attempt of 3 s
    /// each (500 ms once timed out on a loopback answer from dnsmasq while CI started silos in parallel).
    /// </summary>
    public static DnsOptions Options(params string[] nameservers)
    {
        var options = new DnsOptions { Timeout = TimeSpan.FromSeconds(3), Attempts = 1 };
        foreach (var nameserver in nameservers)
        {
            options.Nameservers.Add(nameserver);
        }

        return options;
    }

    public MxResolver MxResolver() => DnsResolver.CreateMxResolver(Options(Address), TimeProvider.System, new Random(1));

    internal IDnsResolver Resolver() => DnsResolver.Create(Options(Address), TimeProvider.System);

    public async ValueTask DisposeAsync()
    {
        if (!_peer.Process.HasExited)
        {
            _peer.Process.Kill();
            await _peer.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }

        _peer.Dispose();
        File.Delete(_configPath);
    }

    private static int FreeLoopbackPort()
    {
        // dnsmasq needs the port free for both UDP and TCP.
        for (var attempt = 0; ; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
                // taken for TCP; try another
            }
        }
    }
}

/// <summary>The test zone every DNS scenario shares, served by one dnsmasq per test run.</summary>
public sealed class DnsmasqFixture : IAsyncLifetime
{
    /// <summary>Six 250-octet TXT strings: about 1.5 kB, more than the 1232-octet EDNS payload, so UDP answers are truncated.</summary>
    public const int BigTxtRecords = 6;

    private Dnsmasq? _dnsmasq;

    public Dnsmasq Server => _dnsmasq ?? throw new InvalidOperationException("dnsmasq not started");

    public static IEnumerable<string> Zone()
    {
        string[] zone =
        [
            "local=/test/",
            "mx-host=one.test,mail.one.test,10",
            "host-record=mail.one.test,127.0.0.10",
            "mx-host=two.test,primary.two.test,10",
            "mx-host=two.test,backup.two.test,20",
            "host-record=primary.two.test,127.0.0.11,::11",
            "host-record=backup.two.test,127.0.0.12",
            "host-record=implicit.test,127.0.0.13",
            // RFC 7505 null MX "0 ." written as raw RDATA: preference 0x0000, root name 0x00.
            "dns-rr=nullmx.test,15,000000",
            "address=/nx.test/",
            "mx-host=cname.test,alias.cname.test,10",
            "cname=alias.cname.test,real.cname.test",
            "host-record=real.cname.test,127.0.0.14",
            "txt-record=txt.test,\"v=spf1 -all\"",
        ];
        return zone.Concat(Enumerable.Range(0, BigTxtRecords).Select(i => $"txt-record=big.test,\"{i}{new string('x', 249)}\""));
    }

    public async Task InitializeAsync() => _dnsmasq = await Dnsmasq.StartAsync(Zone());

    public async Task DisposeAsync()
    {
        if (_dnsmasq is not null)
        {
            await _dnsmasq.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DnsmasqCollection : ICollectionFixture<DnsmasqFixture>
{
    public const string Name = "dnsmasq";
}
