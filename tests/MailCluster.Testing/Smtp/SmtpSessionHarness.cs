using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailCluster.Smtp.Server;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Testing.Smtp;

/// <summary>
/// Runs one server session over an in-memory connection against <typeparamref name="THost"/> (the
/// protocol tests' recording host, or the silo's own) and plays its client.
/// </summary>
public sealed class SmtpSessionHarness<THost> : IAsyncDisposable
    where THost : ISmtpSessionHost
{
    private static readonly TimeSpan s_replyWait = TimeSpan.FromSeconds(10);

    private readonly InMemoryConnection _connection = new();
    private readonly SmtpPipeConnection _server;
    private readonly X509Certificate2? _certificate;
    private PipeReader _clientInput;
    private Stream? _tlsClient;

    public SmtpSessionHarness(THost host, SmtpServerLimits? limits = null, X509Certificate2? certificate = null, string remoteAddress = "127.0.0.1", bool submission = false, bool implicitTls = false)
    {
        Host = host;
        Limits = limits ?? new SmtpServerLimits();
        Heartbeat = new SessionHeartbeat(Time);
        _certificate = certificate;
        _server = new SmtpPipeConnection(_connection.Server, certificate);
        _clientInput = _connection.Client.Input;
        var info = new SmtpSessionInfo(new IPEndPoint(IPAddress.Parse(remoteAddress), 40000), new IPEndPoint(IPAddress.Loopback, 25), "mx.test") { IsSubmission = submission, ImplicitTls = implicitTls };
        Session = new SmtpServerSession(_server, Host, info, Limits, Heartbeat, Time);
        Run = Task.Run(async () =>
        {
            try
            {
                await Session.RunAsync(CancellationToken.None);
            }
            finally
            {
                // What Kestrel does when a handler returns: close the connection, both ways, so that a
                // client still writing (a session that failed before it read all) is not left waiting.
                await _server.DisposeAsync();
                await _connection.Server.Output.CompleteAsync();
                await _connection.Server.Input.CompleteAsync();
            }
        });
    }

    public FakeTimeProvider Time { get; } = new();

    public THost Host { get; }

    public SmtpServerLimits Limits { get; }

    public SessionHeartbeat Heartbeat { get; }

    public SmtpServerSession Session { get; }

    public Task Run { get; }

    public async Task SendAsync(string raw)
    {
        var bytes = Encoding.UTF8.GetBytes(raw);
        await SendAsync(bytes);
    }

    public async Task SendAsync(byte[] bytes)
    {
        if (_tlsClient is not null)
        {
            await _tlsClient.WriteAsync(bytes);
            await _tlsClient.FlushAsync();
            return;
        }
        await _connection.Client.Output.WriteAsync(bytes);
    }

    /// <summary>Reads one reply line (without CRLF); null when the server closed the connection.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(s_replyWait);
        while (true)
        {
            var result = await _clientInput.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            var lf = buffer.PositionOf((byte)'\n');
            if (lf is { } end)
            {
                var line = Encoding.UTF8.GetString(buffer.Slice(0, end).ToArray()).TrimEnd('\r');
                _clientInput.AdvanceTo(buffer.GetPosition(1, end));
                return line;
            }
            _clientInput.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads a whole (possibly multiline) reply and returns its lines.</summary>
    public async Task<List<string>> ReadReplyAsync()
    {
        var lines = new List<string>();
        while (await ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                break;
            }
        }
        return lines;
    }

    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return string.Join('\n', await ReadReplyAsync());
    }

    /// <summary>Starts the client side of TLS on the in-memory connection (after the server's 220).</summary>
    public async Task StartClientTlsAsync()
    {
        // The server's certificate is the one the harness gave it, self-signed: trusted by being that one.
        var ssl = new System.Net.Security.SslStream(new MailCluster.Smtp.PipeDuplexStream(_connection.Client), false, (_, presented, _, _) =>
            presented is not null && _certificate is not null && presented.GetCertHashString() == _certificate.GetCertHashString());
        await ssl.AuthenticateAsClientAsync("mx.test");
        _tlsClient = ssl;
        _clientInput = PipeReader.Create(ssl);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.Client.Output.CompleteAsync();
        try
        {
            await Run.WaitAsync(s_replyWait);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or TimeoutException)
        {
            // The session's end is what some tests provoke; teardown only needs it gone.
        }
    }
}
