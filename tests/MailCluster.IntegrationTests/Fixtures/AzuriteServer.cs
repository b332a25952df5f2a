using System.Diagnostics;
using System.Net.Sockets;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>The three services of an Azure Storage account.</summary>
public enum StorageService
{
    Blob,
    Queue,
    Table,
}

/// <summary>
/// Azurite (Azure Storage's emulator, from npm) on loopback ports of its own, with its data in a
/// temp directory. The test command installs it and names it in <c>MAILCLUSTER_AZURITE</c>;
/// otherwise <c>azurite</c> must be on the PATH. <see cref="StartServicesAsync"/> runs each service
/// as its own process (npm's <c>azurite-blob</c>, <c>azurite-queue</c>, <c>azurite-table</c> beside
/// <c>azurite</c>) behind a <see cref="ReplyDroppingProxy"/>, so one service can be paused alone
/// and a reply can be lost after its request was carried out.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    // Azurite's well-known development account (public, the same in every emulator).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly StorageService[] s_services = [StorageService.Blob, StorageService.Queue, StorageService.Table];

    // One process for all three services, or one per service.
    private readonly Dictionary<StorageService, Process> _processes;
    private readonly Dictionary<StorageService, int> _ports;
    private readonly Dictionary<StorageService, ReplyDroppingProxy> _proxies = [];
    private readonly HashSet<Process> _paused = [];
    private readonly TempDirectory _data;

    private AzuriteServer(Dictionary<StorageService, Process> processes, Dictionary<StorageService, int> ports, TempDirectory data)
    {
        _processes = processes;
        _ports = ports;
        _data = data;
    }

    /// <summary>The account's endpoints: the proxies' when there are any.</summary>
    public string ConnectionString
    {
        get
        {
            int Port(StorageService service) => _proxies.TryGetValue(service, out var proxy) ? proxy.Port : _ports[service];
            return $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
                $"BlobEndpoint=http://127.0.0.1:{Port(StorageService.Blob)}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{Port(StorageService.Queue)}/devstoreaccount1;" +
                $"TableEndpoint=http://127.0.0.1:{Port(StorageService.Table)}/devstoreaccount1;";
        }
    }

    public int TablePort => _ports[StorageService.Table];

    /// <summary>The proxy in front of one service (<see cref="StartServicesAsync"/> only).</summary>
    public ReplyDroppingProxy Proxy(StorageService service) => _proxies[service];

    /// <summary>
    /// Starts Azurite on three free ports. A port found free can be taken by another process before
    /// Azurite binds it (it then exits at once): such a start is tried again on new ports.
    /// </summary>
    public static Task<AzuriteServer> StartAsync() => StartAsync(split: false);

    /// <summary>Each service in a process of its own, each behind a proxy on a port of its own.</summary>
    public static async Task<AzuriteServer> StartServicesAsync()
    {
        var server = await StartAsync(split: true);
        foreach (var service in s_services)
        {
            server._proxies[service] = ReplyDroppingProxy.Start(server._ports[service]);
        }
        return server;
    }

    private static async Task<AzuriteServer> StartAsync(bool split)
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = Launch(split);
            try
            {
                await server.WaitUntilListeningAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3 && server._processes.Values.Any(p => p.HasExited))
            {
                await server.DisposeAsync();
            }
        }
    }

    private static AzuriteServer Launch(bool split)
    {
        var data = new TempDirectory("mailcluster-azurite-");
        var ports = s_services.ToDictionary(s => s, _ => LoopbackPorts.Next());
        var azurite = Environment.GetEnvironmentVariable("MAILCLUSTER_AZURITE") is { Length: > 0 } path ? path : "azurite";
        var processes = new Dictionary<StorageService, Process>();
        if (split)
        {
            foreach (var service in s_services)
            {
                processes[service] = Run($"{azurite}-{Name(service)}", data.Path, [service], ports);
            }
        }
        else
        {
            var all = Run(azurite, data.Path, s_services, ports);
            foreach (var service in s_services)
            {
                processes[service] = all;
            }
        }
        return new AzuriteServer(processes, ports, data);
    }

    private static Process Run(string executable, string location, StorageService[] services, Dictionary<StorageService, int> ports)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The services' data files have names of their own, so separate processes share one location.
        foreach (var argument in new[] { "--silent", "--skipApiVersionCheck", "--location", location })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var service in services)
        {
            start.ArgumentList.Add($"--{Name(service)}Host");
            start.ArgumentList.Add("127.0.0.1");
            start.ArgumentList.Add($"--{Name(service)}Port");
            start.ArgumentList.Add($"{ports[service]}");
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Name(StorageService service) => service.ToString().ToLowerInvariant();

    /// <summary>SIGSTOP: Azurite stops answering but keeps its state (killing it would lose its last 5 s of queue metadata).</summary>
    public Task PauseAsync() => SignalAsync(_processes.Values.Distinct(), "-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync() => SignalAsync(_processes.Values.Distinct(), "-CONT");

    /// <summary>SIGSTOP of one service's process (<see cref="StartServicesAsync"/>; otherwise all three stop).</summary>
    public Task PauseAsync(StorageService service) => SignalAsync([_processes[service]], "-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync(StorageService)"/>.</summary>
    public Task ResumeAsync(StorageService service) => SignalAsync([_processes[service]], "-CONT");

    private async Task SignalAsync(IEnumerable<Process> processes, string signal)
    {
        foreach (var process in processes)
        {
            await ExternalCommand.SignalAsync(process.Id, signal);
            if (signal == "-STOP")
            {
                _paused.Add(process);
            }
            else
            {
                _paused.Remove(process);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies.Values)
        {
            await proxy.DisposeAsync();
        }
        foreach (var process in _processes.Values.Distinct())
        {
            if (!process.HasExited)
            {
                // A paused Azurite must run again to die of SIGKILL's tree walk cleanly.
                if (_paused.Contains(process))
                {
                    await SignalAsync([process], "-CONT");
                }
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
        _data.Dispose();
    }

    private Task WaitUntilListeningAsync() => Polling.UntilAsync(
        async () =>
        {
            if (_processes.Values.FirstOrDefault(p => p.HasExited) is { } exited)
            {
                throw new InvalidOperationException($"azurite exited with {exited.ExitCode} before listening");
            }
            foreach (var port in _ports.Values)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync("127.0.0.1", port);
                }
                catch (SocketException)
                {
                    return false;
                }
            }
            return true;
        },
        TimeSpan.FromSeconds(30),
        () => $"azurite did not listen on 127.0.0.1:{string.Join(',', _ports.Values)} within 30 s",
        TimeSpan.FromMilliseconds(100));
}
