using System.Diagnostics;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A test server from Sinks/*.py as a child process: ready once it prints READY, stopped by
/// closing its stdin (killed if it does not exit within 5 s).
/// </summary>
public sealed class PythonServer : IAsyncDisposable
{
    private readonly Process _process;

    private PythonServer(Process process)
    {
        _process = process;
    }

    public static async Task<PythonServer> StartAsync(string script, IEnumerable<string> arguments, string description)
    {
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sinks", script));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info)!;
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        if (ready != "READY")
        {
            var error = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5));
            throw new InvalidOperationException($"{description} did not start: {ready} {error}");
        }
        return new PythonServer(process);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                _process.Kill();
            }
        }
        _process.Dispose();
    }
}
