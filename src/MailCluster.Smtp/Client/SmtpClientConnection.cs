using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

/// <summary>
/// The client side of one SMTP connection to a remote MX, over any duplex pipe (a socket the
/// caller connected, or memory in tests): greeting, EHLO/HELO, STARTTLS, transactions, RSET, QUIT.
/// Replies are returned as values; <see cref="SmtpProtocolException"/> means "drop this connection",
/// after which <see cref="IsUsable"/> is false. Not thread-safe: one transaction at a time.
/// </summary>
public sealed partial class SmtpClientConnection : IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly TimeProvider _time;
    private readonly string _heloName;
    private PipeReader _input;
    private PipeWriter _output;
    private ReplyReader _replies;
    private SslStream? _tls;
    private bool _broken;
    private bool _closed;

    /// <param name="heloName">The name this connection sends with EHLO/HELO (its source's); default <see cref="SmtpClientOptions.HeloName"/>.</param>
    public SmtpClientConnection(IDuplexPipe transport, SmtpClientOptions options, TimeProvider timeProvider, string? heloName = null)
    {
        _heloName = heloName ?? options.HeloName;
        _transport = transport;
        _input = transport.Input;
        _output = transport.Output;
        Options = options;
        _time = timeProvider;
        _replies = new ReplyReader(_input, options);
    }

    /// <summary>What the peer announced in its last EHLO reply; <see cref="SmtpExtensions.None"/> before EHLO, after HELO and right after STARTTLS.</summary>
    public SmtpExtensions Extensions { get; private set; } = SmtpExtensions.None;

    /// <summary>The TLS version once STARTTLS succeeded; null in plaintext.</summary>
    public SslProtocols? TlsProtocol => _tls?.SslProtocol;

    /// <summary>False once the connection failed, timed out, ended with an unknown outcome or was quit: dispose it.</summary>
    public bool IsUsable => !_broken && !_closed;

    internal SmtpClientOptions Options { get; }

    internal PipeWriter Output => _output;

    /// <summary>Reads the greeting. RFC 5321 3.1: 220 means ready; anything else (554, 421) is a value for the caller, who then quits.</summary>
    public ValueTask<SmtpReply> ReadGreetingAsync(CancellationToken cancellationToken) =>
        ReadReplyAsync(Options.Timeouts.Greeting, "greeting", cancellationToken);

    /// <summary>EHLO, and HELO when EHLO gets a 5xx (RFC 5321 3.2); sets <see cref="Extensions"/>. Returns the last reply.</summary>
    public async ValueTask<SmtpReply> EhloAsync(CancellationToken cancellationToken)
    {
        Extensions = SmtpExtensions.None;
        var reply = await CommandAsync($"EHLO {_heloName}", Options.Timeouts.Ehlo, "EHLO", cancellationToken);
        if (reply.IsPositive)
        {
            Extensions = SmtpExtensions.Parse(reply);
            return reply;
        }
        // RFC 5321 3.2: an old server that does not know EHLO answers 5xx; HELO gets no extensions.
        return reply.IsPermanent
            ? await CommandAsync($"HELO {_heloName}", Options.Timeouts.Ehlo, "HELO", cancellationToken)
            : reply;
    }

    /// <summary>RSET (RFC 5321 4.1.1.5): clears an unfinished transaction before the connection is reused.</summary>
    public ValueTask<SmtpReply> ResetAsync(CancellationToken cancellationToken) =>
        CommandAsync("RSET", Options.Timeouts.Ehlo, "RSET", cancellationToken);

    /// <summary>Sends one message; see <see cref="SmtpTransactionResult"/>. Replies and guard refusals are per recipient.</summary>
    public ValueTask<SmtpTransactionResult> SendAsync(SmtpEnvelope envelope, ReadOnlySequence<byte> content, CancellationToken cancellationToken) =>
        new SmtpClientTransaction(this, envelope, content).RunAsync(cancellationToken);

    /// <summary>QUIT (RFC 5321 4.1.1.10), best effort: null when the peer closed or timed out instead of replying.</summary>
    public async ValueTask<SmtpReply?> QuitAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CommandAsync("QUIT", Options.Timeouts.Ehlo, "QUIT", cancellationToken);
        }
        catch (SmtpProtocolException)
        {
            return null;
        }
        finally
        {
            _closed = true;
        }
    }

    /// <summary>Completes both pipes (which closes a socket transport) and disposes TLS.</summary>
    public async ValueTask DisposeAsync()
    {
        _closed = true;
        if (_tls is not null)
        {
            await _input.CompleteAsync();
            await _output.CompleteAsync();
            await _tls.DisposeAsync();
        }
        await _transport.Input.CompleteAsync();
        await _transport.Output.CompleteAsync();
    }

    internal async ValueTask<SmtpReply> CommandAsync(string line, TimeSpan timeout, string phase, CancellationToken cancellationToken)
    {
        WriteLine(line);
        await FlushAsync(timeout, phase, cancellationToken);
        return await ReadReplyAsync(timeout, phase, cancellationToken);
    }

    internal void WriteLine(string line)
    {
        var span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length) + 2);
        var written = Encoding.UTF8.GetBytes(line, span);
        "\r\n"u8.CopyTo(span[written..]);
        _output.Advance(written + 2);
    }

    internal async ValueTask FlushAsync(TimeSpan timeout, string phase, CancellationToken cancellationToken) =>
        await WithDeadlineAsync(
            async token =>
            {
                var result = await _output.FlushAsync(token);
                return result.IsCompleted
                    ? throw new SmtpProtocolException(SmtpProtocolFault.ConnectionClosed, $"Peer closed the connection during {phase}")
                    : true;
            },
            timeout,
            phase,
            cancellationToken);

    internal ValueTask<SmtpReply> ReadReplyAsync(TimeSpan timeout, string phase, CancellationToken cancellationToken) =>
        WithDeadlineAsync(token => _replies.ReadAsync(token), timeout, phase, cancellationToken);

    /// <summary>
    /// Runs one phase under an overall deadline from the injected clock (RFC 5321 4.5.3.2), so a
    /// peer that trickles bytes cannot stretch it; transport failures become <see cref="SmtpProtocolException"/>.
    /// </summary>
    private async ValueTask<T> WithDeadlineAsync<T>(Func<CancellationToken, ValueTask<T>> operation, TimeSpan timeout, string phase, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_broken)
        {
            throw new InvalidOperationException("The connection failed earlier; dispose it.");
        }
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        // Broken until the phase completes: any exception below leaves the connection unusable.
        _broken = true;
        try
        {
            var result = await operation(linked.Token);
            _broken = false;
            return result;
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SmtpProtocolException(SmtpProtocolFault.Timeout, $"Peer did not complete {phase} within {timeout}", e);
        }
        catch (AuthenticationException e)
        {
            throw new SmtpProtocolException(SmtpProtocolFault.TlsFailed, $"TLS handshake failed: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new SmtpProtocolException(SmtpProtocolFault.ConnectionClosed, $"Connection lost during {phase}: {e.Message}", e);
        }
    }
}
