using System.Globalization;
using System.Net;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A real SOCKS5 proxy: Debian's dante-server as a child process listening on 127.0.0.1 with a free
/// port, without authentication, passing only loopback clients to loopback targets, and connecting
/// out from the external address it is given. Its config, pid file and log live in a temp directory.
/// </summary>
public sealed class DanteProxy : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/danted";
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);

    private readonly TempDirectory _directory;
    private readonly PeerProcess _peer;

    private DanteProxy(TempDirectory directory, PeerProcess peer, IPEndPoint endpoint, IPAddress external)
    {
        _directory = directory;
        _peer = peer;
        Endpoint = endpoint;
        External = external;
    }

    /// <summary>Where clients connect: 127.0.0.1 and the proxy's port.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>The address the proxy's own connections to targets come from.</summary>
    public IPAddress External { get; }

    /// <summary>What danted printed and logged so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            var log = Path.Combine(_directory.Path, "danted.log");
            using var file = File.Exists(log) ? new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite) : null;
            return file is null ? _peer.Output : _peer.Output + new StreamReader(file).ReadToEnd();
        }
    }

    /// <summary>Starts danted whose connections leave from <paramref name="external"/> (a 127.x address: all of 127/8 is on lo).</summary>
    public static async Task<DanteProxy> StartAsync(IPAddress external)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install the Debian package dante-server (tests/run-all.sh does)");
        }
        var directory = new TempDirectory("mailcluster-dante-");
        var endpoint = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.Next());
        var config = Path.Combine(directory.Path, "danted.conf");
        await File.WriteAllTextAsync(config, Config(endpoint.Port, external, directory.Path));
        // In the foreground (no -D), one server process, its pid file beside the config, not in /var/run.
        var peer = PeerProcess.Start(Executable, ["-f", config, "-p", Path.Combine(directory.Path, "danted.pid"), "-N", "1"]);
        var dante = new DanteProxy(directory, peer, endpoint, external);
        try
        {
            await peer.WaitUntilAcceptingAsync(endpoint, s_startTimeout, () => dante.Output);
        }
        catch
        {
            await dante.DisposeAsync();
            throw;
        }
        return dante;
    }

    /// <summary>Stops danted with SIGTERM, which also ends its child processes; killed if it does not exit in time.</summary>
    public async ValueTask DisposeAsync()
    {
        var process = _peer.Process;
        if (!process.HasExited)
        {
            try
            {
                await ExternalCommand.SignalAsync(process.Id, "-TERM");
                await process.WaitForExitAsync().WaitAsync(s_stopTimeout);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        _peer.Dispose();
        _directory.Dispose();
    }

    private static string Config(int port, IPAddress external, string directory)
    {
        // As root, danted works as nobody (without the lines it stays root and warns); as anyone else the
        // lines must be absent, or it stops at start: it cannot chown its log file to the privileged user.
        var users = Environment.IsPrivilegedProcess ? "user.privileged: root\nuser.unprivileged: nobody\n" : "";
        return string.Create(CultureInfo.InvariantCulture, $$"""
            logoutput: {{Path.Combine(directory, "danted.log")}}
            internal: 127.0.0.1 port = {{port}}
            external: {{external}}
            clientmethod: none
            socksmethod: none
            {{users}}
            client pass {
                from: 127.0.0.0/8 to: 127.0.0.0/8
                log: error
            }
            socks pass {
                from: 127.0.0.0/8 to: 127.0.0.0/8
                command: connect
                log: error connect
            }

            """);
    }
}
