using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// The silo as a real process on 127.0.0.1 with its own spool directory. Start waits until the
/// SMTP greeting arrives; Kill sends SIGKILL, so a restart on the same spool tests crash recovery.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly string[] _extraArguments;
    private readonly StringBuilder _output = new();
    private readonly SemaphoreSlim _outputArrived = new(0);
    private Process? _process;

    public SiloProcess(string spoolPath, params string[] extraArguments)
        : this(spoolPath, "127.0.0.1", LoopbackPorts.Next(), extraArguments)
    {
    }

    /// <summary>A silo listening for SMTP on a chosen loopback address and port (e.g. as the MX host of another silo).</summary>
    public SiloProcess(string spoolPath, string smtpHost, int smtpPort, params string[] extraArguments)
    {
        SmtpHost = smtpHost;
        SpoolPath = spoolPath;
        SmtpPort = smtpPort;
        HttpPort = LoopbackPorts.Next();
        ClusterPort = LoopbackPorts.Next();
        _extraArguments = extraArguments;
    }

    public string SpoolPath { get; }

    public int SmtpPort { get; }

    public string SmtpHost { get; }

    public string SmtpAddress => $"{SmtpHost}:{SmtpPort}";

    /// <summary>/metrics, /healthz and /readyz; its own port, so that silos of parallel tests never share 8025.</summary>
    public int HttpPort { get; }

    /// <summary>The silo's Orleans port (<c>Cluster:SiloPort</c>), its own per silo.</summary>
    public int ClusterPort { get; }

    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}/");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>Waits (bounded) until the silo's output holds <paramref name="fragment"/>, woken by each line it writes.</summary>
    public async Task WaitForOutputAsync(string fragment)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!Output.Contains(fragment, StringComparison.Ordinal))
        {
            try
            {
                await _outputArrived.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no '{fragment}' in the silo's output:\n{Output}");
            }
        }
    }

    public int ProcessId => _process!.Id;

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(RepositoryLayout.SiloDll);
        info.ArgumentList.Add($"--Spool:Path={SpoolPath}");
        info.ArgumentList.Add($"--Smtp:Listen={SmtpAddress}");
        info.ArgumentList.Add($"--Http:Listen=127.0.0.1:{HttpPort}");
        // Silos of parallel tests each bind their own Orleans port.
        info.ArgumentList.Add($"--Cluster:SiloPort={ClusterPort}");
        info.ArgumentList.Add("--Smtp:ServerName=silo.test");
        // Tests reach loopback only: delivery is off unless a test sets up its DNS and MX peers
        // (MailWorld turns it on), and the resolver never falls back to the machine's nameservers.
        info.ArgumentList.Add("--Delivery:Enabled=false");
        info.ArgumentList.Add("--Dns:Nameservers:0=127.0.0.1:9");
        // A small reserve: the default (1% of the filesystem) would make the tests depend on how full
        // the machine's disk is. FullSpoolDiskRecoversByDelivering sets its own.
        info.ArgumentList.Add("--Spool:MinFreeBytes=16777216");
        foreach (var argument in _extraArguments)
        {
            info.ArgumentList.Add(argument);
        }
        // A restart on the same spool and ports (after a kill or an exit) replaces the process.
        _process?.Dispose();
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitForGreetingAsync();
    }

    /// <summary>
    /// Waits (bounded) until a counter of this silo's /metrics reaches <paramref name="atLeast"/>:
    /// <paramref name="series"/> is <c>name{label="value",...}</c>, and every series of that name
    /// with those labels (whatever others it has) counts, summed.
    /// </summary>
    public async Task WaitForMetricAsync(string series, double atLeast, Func<string> context)
    {
        using var http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(10) };
        var wanted = MetricSeries.Parse(series);
        var lines = new List<string>();
        await Polling.UntilAsync(
            async () =>
            {
                var scrape = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
                lines = [.. scrape.Split('\n').Where(l => MetricSeries.TryParseSample(l, out var sample, out _) && sample.Includes(wanted))];
                return lines.Sum(l => MetricSeries.TryParseSample(l, out _, out var value) ? value : 0) >= atLeast;
            },
            TimeSpan.FromSeconds(30),
            () => $"{series} did not reach {atLeast}: {(lines.Count == 0 ? "absent" : string.Join(" + ", lines))}\n{context()}",
            TimeSpan.FromMilliseconds(100));
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod; returns the exit code once the silo has exited (bounded).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        await ExternalCommand.SignalAsync(ProcessId, "-TERM");
        return await WaitForExitAsync(timeout);
    }

    /// <summary>SIGSTOP: the silo stops, its sockets stay open and nothing answers (a long GC pause, a frozen VM).</summary>
    public Task PauseAsync() => ExternalCommand.SignalAsync(ProcessId, "-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync() => ExternalCommand.SignalAsync(ProcessId, "-CONT");

    /// <summary>Waits for the process to exit by itself (e.g. failed validation); returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _outputArrived.Dispose();
    }

    private Task WaitForGreetingAsync() => Polling.UntilAsync(
        async () =>
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"The silo exited with {_process.ExitCode} during startup:\n{Output}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(SmtpHost, SmtpPort);
                using var reader = new StreamReader(client.GetStream());
                var greeting = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
                return greeting?.StartsWith("220", StringComparison.Ordinal) == true;
            }
            catch (SocketException)
            {
                // Not listening yet.
                return false;
            }
        },
        s_startTimeout,
        () => $"The silo did not greet on {SmtpAddress} within {s_startTimeout}:\n{Output}",
        TimeSpan.FromMilliseconds(100));

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
            _outputArrived.Release();
        }
    }
}
