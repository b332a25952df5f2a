using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailCluster.Testing.IO;

namespace MailCluster.Testing.Smtp;

/// <summary>
/// Plays a remote MX for client tests over an in-memory connection. The script is a queue of
/// replies per command verb (<c>.Greet(220).OnEhlo(250, "PIPELINING", "SIZE 1000").OnMail(250)…</c>);
/// unscripted RSET, NOOP and QUIT get a plain success, anything else 502. It records what the
/// client sent: each command line, the commands that arrived in one read (pipelining), and each
/// message's content exactly as it came over the wire (still dot-stuffed for DATA).
/// </summary>
public sealed partial class ScriptedSmtpPeer : IAsyncDisposable
{
    private readonly InMemoryConnection _connection = new();
    private readonly Dictionary<string, Queue<Step>> _script = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly List<string> _commands = [];
    private readonly List<List<string>> _batches = [];
    private readonly List<byte[]> _messages = [];
    private readonly TaskCompletionSource _messageReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Step? _greeting;
    private X509Certificate2? _certificate;

    public ScriptedSmtpPeer(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _reader = _connection.Server.Input;
        _writer = _connection.Server.Output;
    }

    /// <summary>Every command line the client sent, in order (without CRLF).</summary>
    public IReadOnlyList<string> Commands => _commands;

    /// <summary>The command lines grouped by the read that found them: a pipelined group is one batch.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Batches => _batches;

    /// <summary>Each message's content as received: DATA content up to (not including) the final ".\r\n" line; BDAT chunks as sent.</summary>
    public IReadOnlyList<byte[]> Messages => _messages;

    /// <summary>Completes when the first message's content has been read.</summary>
    public Task MessageReceived => _messageReceived.Task;

    /// <summary>Octets the peer has written to the client.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Runs when the peer stops: the script ended, the client closed, or the peer failed (TLS, a broken client).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>The certificate the peer presents after STARTTLS (CN and SAN "mx.test").</summary>
    public X509Certificate2 Certificate => _certificate ??= TestCertificate.Create("mx.test");

    public ScriptedSmtpPeer Greet(int code, string text = "mx.test ESMTP ready")
    {
        _greeting = new Step(code, [text]);
        return this;
    }

    /// <summary>Sends a legal but never-ending 220 greeting, one octet per <paramref name="interval"/> of the peer's clock.</summary>
    public ScriptedSmtpPeer GreetTrickling(TimeSpan interval)
    {
        _greeting = new Step(220, [], TrickleInterval: interval);
        return this;
    }

    /// <summary>EHLO: the first reply line is "mx.test", then one line per extension keyword.</summary>
    public ScriptedSmtpPeer OnEhlo(int code, params string[] extensions) => On("EHLO", new Step(code, ["mx.test", .. extensions]));

    /// <summary>EHLO answered with "250-" lines that never end.</summary>
    public ScriptedSmtpPeer OnEhloEndless() => On("EHLO", new Step(250, ["mx.test"], Endless: true));

    public ScriptedSmtpPeer OnHelo(int code, string text = "mx.test") => On("HELO", new Step(code, [text]));

    public ScriptedSmtpPeer OnMail(int code, string text = "2.1.0 Sender ok") => On("MAIL", new Step(code, [text]));

    public ScriptedSmtpPeer OnRcpt(int code, string text = "2.1.5 Recipient ok") => On("RCPT", new Step(code, [text]));

    public ScriptedSmtpPeer OnData(int code, string text = "End data with <CR><LF>.<CR><LF>") => On("DATA", new Step(code, [text]));

    /// <summary>The reply after the content (after the final dot, or after a BDAT ... LAST chunk).</summary>
    public ScriptedSmtpPeer OnDot(int code, string text = "2.0.0 Ok: queued") => On(".", new Step(code, [text]));

    /// <summary>Reads the whole content, then closes the connection without a reply.</summary>
    public ScriptedSmtpPeer CloseAfterDot() => On(".", new Step(0, [], Close: true));

    /// <summary>Reads the whole content and never replies (the client's DATA termination deadline must act).</summary>
    public ScriptedSmtpPeer SilentAfterDot() => On(".", new Step(0, []));

    public ScriptedSmtpPeer OnBdat(int code, string text = "2.0.0 Ok: chunk received") => On("BDAT", new Step(code, [text]));

    public ScriptedSmtpPeer OnRset(int code, string text = "2.0.0 Ok") => On("RSET", new Step(code, [text]));

    /// <summary>STARTTLS; <paramref name="injectAfter"/> goes out in the same write as the reply (a CVE-2011-0411 style injection).</summary>
    public ScriptedSmtpPeer OnStartTls(int code = 220, string text = "2.0.0 Ready to start TLS", string? injectAfter = null) =>
        On("STARTTLS", new Step(code, [text], Inject: injectAfter));

    /// <summary>Starts playing the script; returns the client's end of the connection.</summary>
    public IDuplexPipe Start()
    {
        Completion = RunAsync();
        return _connection.Client;
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _writer.CompleteAsync();
        _certificate?.Dispose();
    }

    private ScriptedSmtpPeer On(string verb, Step step)
    {
        if (!_script.TryGetValue(verb, out var queue))
        {
            _script[verb] = queue = new Queue<Step>();
        }
        queue.Enqueue(step);
        return this;
    }

    private Step Next(string verb) =>
        _script.TryGetValue(verb, out var queue) && queue.Count > 0
            ? queue.Dequeue()
            : verb.ToUpperInvariant() switch
            {
                "RSET" or "NOOP" => new Step(250, ["2.0.0 Ok"]),
                "QUIT" => new Step(221, ["2.0.0 Bye"], Close: true),
                _ => new Step(502, ["5.5.1 Not scripted"]),
            };

    private static byte[] Format(Step step, string? lastSeparator = null)
    {
        var text = new StringBuilder();
        for (var i = 0; i < step.Lines.Length; i++)
        {
            var separator = i < step.Lines.Length - 1 ? "-" : lastSeparator ?? " ";
            text.Append(step.Code).Append(separator).Append(step.Lines[i]).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private sealed record Step(int Code, string[] Lines, bool Endless = false, bool Close = false, string? Inject = null, TimeSpan? TrickleInterval = null);
}
