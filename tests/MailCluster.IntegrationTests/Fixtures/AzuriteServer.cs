using System.Diagnostics;
using System.Net.Sockets;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// Azurite (Azure Storage's emulator, from npm) on loopback ports of its own, with its data in a
/// temp directory. The test command installs it and names it in <c>MAILCLUSTER_AZURITE</c>;
/// otherwise <c>azurite</c> must be on the PATH.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    // Azurite's well-known development account (public, the same in every emulator).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly TempDirectory _data;
    private bool _paused;

    private AzuriteServer(Process process, TempDirectory data, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        _data = data;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
        TablePort = tablePort;
    }

    public string ConnectionString { get; }

    public int TablePort { get; }

    /// <summary>
    /// Starts Azurite on three free ports. A port found free can be taken by another process before
    /// Azurite binds it (it then exits at once): such a start is tried again on new ports.
    /// </summary>
    public static async Task<AzuriteServer> StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = Launch();
            try
            {
                await server.WaitUntilListeningAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3 && server._process.HasExited)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static AzuriteServer Launch()
    {
        var data = new TempDirectory("mailcluster-azurite-");
        var (blob, queue, table) = (LoopbackPorts.Next(), LoopbackPorts.Next(), LoopbackPorts.Next());
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("MAILCLUSTER_AZURITE") is { Length: > 0 } path ? path : "azurite")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--silent", "--skipApiVersionCheck", "--location", data.Path,
            "--blobHost", "127.0.0.1", "--blobPort", $"{blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{table}",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("azurite did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AzuriteServer(process, data, blob, queue, table);
    }

    /// <summary>SIGSTOP: Azurite stops answering but keeps its state (killing it would lose its last 5 s of queue metadata).</summary>
    public async Task PauseAsync()
    {
        await SignalAsync("-STOP");
        _paused = true;
    }

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public async Task ResumeAsync()
    {
        await SignalAsync("-CONT");
        _paused = false;
    }

    private async Task SignalAsync(string signal)
    {
        var sent = await ExternalCommand.RunAsync("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        if (sent.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} azurite: {sent}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A paused Azurite must run again to die of SIGKILL's tree walk cleanly.
            if (_paused)
            {
                await ResumeAsync();
            }
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _data.Dispose();
    }

    private Task WaitUntilListeningAsync() => Polling.UntilAsync(
        async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"azurite exited with {_process.ExitCode} before listening");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", TablePort);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        },
        TimeSpan.FromSeconds(30),
        () => $"azurite did not listen on 127.0.0.1:{TablePort} within 30 s",
        TimeSpan.FromMilliseconds(100));
}
