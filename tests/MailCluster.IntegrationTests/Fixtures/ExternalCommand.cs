using System.Diagnostics;
using System.Text;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>The result of running a real peer program (swaks, smtp-source, ...).</summary>
public sealed record CommandResult(string Command, int ExitCode, string Output)
{
    public override string ToString() => $"`{Command}` exited {ExitCode}:\n{Output}";
}

/// <summary>Runs a program to completion with a deadline; output is captured for failure messages.</summary>
public static class ExternalCommand
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, string? standardInput = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }
        var command = $"{file} {string.Join(' ', info.ArgumentList)}";
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{command}` did not finish within {timeout}:\n{Snapshot(output)}");
        }
        process.WaitForExit();
        return new CommandResult(command, process.ExitCode, Snapshot(output));
    }

    /// <summary>Sends a signal (<c>-STOP</c>, <c>-CONT</c>, <c>-TERM</c>) to a process of ours with kill(1); fails if kill does.</summary>
    public static async Task SignalAsync(int processId, string signal)
    {
        var sent = await RunAsync("kill", [signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        if (sent.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} {processId}: {sent}");
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
