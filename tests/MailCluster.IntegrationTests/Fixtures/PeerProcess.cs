using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailCluster.Testing;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A peer server run as a child process of the test run (dnsmasq, danted), never as a daemon: what
/// it prints is kept for failure messages, and it is ready once its loopback TCP port accepts.
/// </summary>
public sealed class PeerProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private PeerProcess(Process process)
    {
        Process = process;
    }

    public Process Process { get; }

    /// <summary>Its standard output and error so far.</summary>
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

    public static PeerProcess Start(string executable, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var peer = new PeerProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {executable}"));
        peer.Process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        peer.Process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        peer.Process.BeginErrorReadLine();
        peer.Process.BeginOutputReadLine();
        return peer;
    }

    /// <summary>
    /// Waits until <paramref name="endpoint"/> accepts a TCP connection; fails at once if the process
    /// exits first, and after <paramref name="timeout"/> otherwise, with <paramref name="details"/>.
    /// </summary>
    public Task WaitUntilAcceptingAsync(IPEndPoint endpoint, TimeSpan timeout, Func<string> details)
    {
        var name = Path.GetFileName(Process.StartInfo.FileName);
        return Polling.UntilAsync(
            async () =>
            {
                if (Process.HasExited)
                {
                    throw new InvalidOperationException($"{name} exited with {Process.ExitCode} before listening on {endpoint}:\n{details()}");
                }
                using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
                    await probe.ConnectAsync(endpoint, attempt.Token);
                    return true;
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    return false;
                }
            },
            timeout,
            () => $"{name} did not listen on {endpoint} within {timeout.TotalSeconds}s:\n{details()}",
            TimeSpan.FromMilliseconds(50));
    }

    public void Dispose() => Process.Dispose();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
