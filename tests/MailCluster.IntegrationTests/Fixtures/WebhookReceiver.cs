using System.Text.Json;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>One delivery event as the receiver kept it.</summary>
public sealed record ReceivedEvent(string Id, string Type, string? QueueId, string Recipient, string Json);

/// <summary>
/// Sinks/webhook_receiver.py: a real HTTPS receiver for the silo's event webhook, its certificate
/// issued by a private CA the silo is told to trust, failing, hanging and losing replies at random
/// as asked. What it kept is read from its files.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "integration-webhook-secret-0123456789";

    private readonly PythonServer _server;
    private readonly TempDirectory _directory;

    private WebhookReceiver(PythonServer server, TempDirectory directory, int port)
    {
        _server = server;
        _directory = directory;
        Url = $"https://localhost:{port}/events";
    }

    public string Url { get; }

    public string SecretFile => Path.Combine(_directory.Path, "secret");

    public string CaFile => Path.Combine(_directory.Path, "ca.pem");

    /// <param name="misbehaviour">Extra arguments: --fail-rate, --hang-rate, --lost-reply-rate, --hang-seconds, --gone.</param>
    public static async Task<WebhookReceiver> StartAsync(params string[] misbehaviour)
    {
        var directory = new TempDirectory("mailcluster-webhook-");
        using var authority = TestCertificate.CreateAuthority();
        using var certificate = TestCertificate.Issue(authority, "localhost");
        var (cert, key) = TestCertificate.WritePem(directory.Path, certificate);
        File.WriteAllText(Path.Combine(directory.Path, "ca.pem"), authority.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory.Path, "secret"), Secret + "\n");
        Directory.CreateDirectory(Path.Combine(directory.Path, "out"));
        var port = LoopbackPorts.Next();
        var server = await PythonServer.StartAsync(
            "webhook_receiver.py",
            ["--port", $"{port}", "--cert", cert, "--key", key, "--secret-file", Path.Combine(directory.Path, "secret"), "--out", Path.Combine(directory.Path, "out"), .. misbehaviour],
            "the webhook receiver");
        return new WebhookReceiver(server, directory, port);
    }

    /// <summary>The silo's arguments for a sink named <paramref name="name"/> posting here.</summary>
    public string[] SinkArguments(string name = "hooks", int index = 0, params string[] more) =>
    [
        $"--Events:Sinks:{index}:Name={name}",
        $"--Events:Sinks:{index}:Url={Url}",
        $"--Events:Sinks:{index}:SecretFile={SecretFile}",
        $"--Events:Sinks:{index}:CaCertificateFile={CaFile}",
        .. more,
    ];

    /// <summary>Every event kept, in the order kept (repeats included).</summary>
    public IReadOnlyList<ReceivedEvent> Events() => [.. Lines("events.jsonl").Select(Parse)];

    /// <summary>POSTs whose signature did not verify.</summary>
    public int BadSignatures => Lines("bad_signatures.jsonl").Count();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>Whole lines only: the receiver may be writing the last one.</summary>
    private IEnumerable<string> Lines(string name)
    {
        var path = Path.Combine(_directory.Path, "out", name);
        if (!File.Exists(path))
        {
            return [];
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var text = new StreamReader(stream).ReadToEnd();
        return text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static ReceivedEvent Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        return new ReceivedEvent(
            root.GetProperty("id").GetString()!, root.GetProperty("type").GetString()!,
            root.TryGetProperty("queue_id", out var queueId) ? queueId.GetString() : null, root.GetProperty("recipient").GetString()!, line);
    }
}
