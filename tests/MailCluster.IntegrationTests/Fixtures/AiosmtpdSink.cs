using System.Diagnostics;
using System.Text.Json;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>One message as the sink received it.</summary>
public sealed record SinkMessage(double Time, string Peer, string MailFrom, string[] RcptTos, string Content);

/// <summary>
/// A receiving MX (Sinks/sink.py on Debian's aiosmtpd) on a loopback address, answering 4xx, 5xx
/// or 421 when the recipient's local part asks for it. Closing its stdin stops it.
/// </summary>
public sealed class AiosmtpdSink : IAsyncDisposable
{
    private readonly PythonServer _server;
    private readonly TempDirectory _out;

    private AiosmtpdSink(PythonServer server, TempDirectory output, string host, int port)
    {
        _server = server;
        _out = output;
        Host = host;
        Port = port;
    }

    public string Host { get; }

    public int Port { get; }

    /// <summary>A sink on each of <paramref name="hosts"/>, all on one port (each host's "port 25").</summary>
    public static async Task<Dictionary<string, AiosmtpdSink>> StartManyAsync(IEnumerable<string> hosts, int port, double delaySeconds, IReadOnlyList<string>? refusePeers = null)
    {
        var sinks = new Dictionary<string, AiosmtpdSink>();
        foreach (var host in hosts)
        {
            sinks[host] = await StartAsync(host, port, delaySeconds, refusePeers: refusePeers);
        }
        return sinks;
    }

    /// <param name="host">A loopback address.</param>
    /// <param name="port">The port, shared by the sinks of one world.</param>
    /// <param name="delaySeconds">How long the sink waits before answering DATA.</param>
    /// <param name="brokenTls">The sink offers STARTTLS and fails every handshake.</param>
    /// <param name="tls">PEM certificate and key: the sink offers STARTTLS with them.</param>
    /// <param name="refusePeers">Client addresses greeted with 421 4.7.0 [TSS04] and disconnected.</param>
    public static async Task<AiosmtpdSink> StartAsync(
        string host, int port, double delaySeconds = 0, bool brokenTls = false, (string Certificate, string Key)? tls = null, IReadOnlyList<string>? refusePeers = null)
    {
        var output = new TempDirectory("mailcluster-sink-");
        string[] arguments = ["--host", host, "--port", $"{port}", "--out", output.Path, "--delay", $"{delaySeconds:0.###}"];
        if (brokenTls)
        {
            arguments = [.. arguments, "--broken-tls"];
        }
        if (tls is var (certificate, key))
        {
            arguments = [.. arguments, "--tls-cert", certificate, "--tls-key", key];
        }
        foreach (var peer in refusePeers ?? [])
        {
            arguments = [.. arguments, "--refuse-peer", peer];
        }
        return new AiosmtpdSink(await PythonServer.StartAsync("sink.py", arguments, $"sink on {host}:{port}"), output, host, port);
    }

    public IReadOnlyList<SinkMessage> Messages() => [.. EndedLines("messages.jsonl").Select(Parse)];

    public int MaxConcurrentConnections() => Stat("max_concurrent");

    /// <summary>Connections open now.</summary>
    public int CurrentConnections() => Stat("current");

    /// <summary>The most connections from one client address open at once, by address.</summary>
    public IReadOnlyDictionary<string, int> MaxConnectionsByPeer() => StatsByPeer("max_by_peer");

    /// <summary>Connections open now, by client address.</summary>
    public IReadOnlyDictionary<string, int> CurrentConnectionsByPeer() => StatsByPeer("current_by_peer");

    /// <summary>Connections greeted with 421 because of their client address, by address.</summary>
    public IReadOnlyDictionary<string, int> RefusedByPeer() => StatsByPeer("refused");

    /// <summary>Every <c>bounce+</c> recipient the sink answered 550, once per RCPT.</summary>
    public IReadOnlyList<string> Bounced() =>
        [.. EndedLines("bounced.jsonl").Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.GetProperty("rcpt").GetString()!;
        })];

    /// <summary>The recipients of every message whose DATA the sink began to hold (a <c>stallN+</c> recipient), once per hold.</summary>
    public IReadOnlyList<string> Stalled() =>
        [.. EndedLines("stalled.jsonl").SelectMany(line =>
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.GetProperty("rcpt_tos").EnumerateArray().Select(e => e.GetString()!).ToList();
        })];

    /// <summary>
    /// The lines of one of the sink's files. The sink may be writing a line right now (a large
    /// message takes several writes): only the lines it has ended count.
    /// </summary>
    private string[] EndedLines(string name)
    {
        var path = Path.Combine(_out.Path, name);
        if (!File.Exists(path))
        {
            return [];
        }
        var text = File.ReadAllText(path);
        return text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private Dictionary<string, int> StatsByPeer(string name)
    {
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out.Path, "stats.json")));
        return stats.RootElement.GetProperty(name).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    private int Stat(string name)
    {
        // The sink replaces stats.json whole (write, then rename), so a read never sees half of it.
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out.Path, "stats.json")));
        return stats.RootElement.GetProperty(name).GetInt32();
    }

    /// <summary>Waits (bounded) until the sink holds at least <paramref name="count"/> messages.</summary>
    public async Task<IReadOnlyList<SinkMessage>> WaitForMessagesAsync(int count, TimeSpan timeout, Func<string>? context = null)
    {
        IReadOnlyList<SinkMessage> messages = [];
        await Polling.UntilAsync(
            () => Task.FromResult((messages = Messages()).Count >= count),
            timeout,
            () => $"sink {Host}:{Port} has {messages.Count} of {count} messages after {timeout}.\n{context?.Invoke()}",
            TimeSpan.FromMilliseconds(100));
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _out.Dispose();
    }

    private static SinkMessage Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        return new SinkMessage(
            root.GetProperty("time").GetDouble(),
            root.GetProperty("peer").GetString()!,
            root.GetProperty("mail_from").GetString()!,
            root.GetProperty("rcpt_tos").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            root.GetProperty("content").GetString()!);
    }
}
