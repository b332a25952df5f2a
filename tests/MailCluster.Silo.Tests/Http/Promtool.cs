using System.Diagnostics;

namespace MailCluster.Silo.Tests.Http;

/// <summary>Runs Prometheus's own linter (Debian package prometheus) with a deadline.</summary>
internal static class Promtool
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    /// <summary>Exit code and everything promtool printed; a clean pass prints nothing.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, string? standardInput = null)
    {
        var info = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(standardInput ?? "");
        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(s_timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
