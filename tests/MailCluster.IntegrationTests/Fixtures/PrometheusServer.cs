using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>The outcome of one PromQL evaluation through /api/v1/query.</summary>
public sealed record PromQlResult(string Expression, string? Error, int Samples)
{
    public override string ToString() => Error is null ? $"{Expression} → {Samples} sample(s)" : $"{Expression} → error: {Error}";
}

/// <summary>
/// A real Prometheus server (Debian package prometheus) on loopback with its own temp config and
/// storage, scraping the given targets every second under the job name "mailcluster".
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Job = "mailcluster";

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _directory = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly int _port = LoopbackPorts.Next();
    private Process? _process;

    public async Task StartAsync(string target)
    {
        var config = Path.Combine(_directory.Path, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: {Job}
                static_configs:
                  - targets: ['{target}']
            """);
        var info = new ProcessStartInfo("/usr/bin/prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add($"--config.file={config}");
        info.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(_directory.Path, "data")}");
        info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{_port}");
        _process = Process.Start(info)!;
        // Its log is not needed; draining it keeps the pipe from filling up and blocking the server.
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilAsync(IsReadyAsync, "Prometheus to become ready");
    }

    /// <summary>Waits until Prometheus has scraped the job at least <paramref name="scrapes"/> times in the last minute.</summary>
    public Task WaitForScrapesAsync(int scrapes) =>
        WaitUntilAsync(async () => (await QueryValueAsync($"sum(count_over_time(up{{job=\"{Job}\"}}[1m]))")) >= scrapes, $"{scrapes} scrapes of job {Job}");

    public async Task<PromQlResult> QueryAsync(string expression)
    {
        using var body = await GetQueryAsync(expression);
        var root = body.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            return new PromQlResult(expression, root.GetProperty("error").GetString(), 0);
        }
        var data = root.GetProperty("data");
        var samples = data.GetProperty("resultType").GetString() is "vector" or "matrix" ? data.GetProperty("result").GetArrayLength() : 1;
        return new PromQlResult(expression, null, samples);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _http.Dispose();
        _directory.Dispose();
    }

    private async Task<double?> QueryValueAsync(string expression)
    {
        using var body = await GetQueryAsync(expression);
        var result = body.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    // Errors come back as JSON too (HTTP 400/422 with "status": "error").
    private async Task<JsonDocument> GetQueryAsync(string expression)
    {
        using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{_port}/api/v1/query?query={Uri.EscapeDataString(expression)}"));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{_port}/-/ready"));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Polling.UntilAsync(
        async () => _process!.HasExited
            ? throw new InvalidOperationException($"Prometheus exited with {_process.ExitCode} while waiting for {what}")
            : await condition(),
        s_startTimeout,
        () => $"Waited {s_startTimeout} for {what} on 127.0.0.1:{_port}",
        TimeSpan.FromMilliseconds(250));
}
