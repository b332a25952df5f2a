using System.Buffers;
using System.Text;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using MailCluster.Testing.Smtp;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Smtp.Tests.Client;

/// <summary>A client connection wired to a <see cref="ScriptedSmtpPeer"/> on a fake clock.</summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    // A real-time guard so a broken test fails instead of hanging; protocol deadlines run on the fake clock.
    private readonly CancellationTokenSource _hang = new(TimeSpan.FromSeconds(20));

    public ClientHarness(Func<ScriptedSmtpPeer, ScriptedSmtpPeer> script, SmtpClientOptions? options = null)
    {
        Peer = script(new ScriptedSmtpPeer(Time));
        Connection = new SmtpClientConnection(Peer.Start(), options ?? new SmtpClientOptions { HeloName = "egress.test" }, Time);
    }

    public FakeTimeProvider Time { get; } = new();

    public ScriptedSmtpPeer Peer { get; }

    public SmtpClientConnection Connection { get; }

    public CancellationToken Token => _hang.Token;

    public static SmtpEnvelope Envelope(params string[] recipients) => Envelope(MailParameters.None, recipients);

    public static SmtpEnvelope Envelope(MailParameters parameters, params string[] recipients) =>
        new(new ReversePath(Mailbox("sender@origin.test")), [.. recipients.Select(r => new Recipient(Mailbox(r), RcptParameters.None))], parameters);

    public static Mailbox Mailbox(string address)
    {
        var at = address.LastIndexOf('@');
        return new Mailbox(address[..at], address[(at + 1)..]);
    }

    public static ReadOnlySequence<byte> Content(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>Greeting and EHLO, as a delivery attempt starts.</summary>
    public async Task OpenAsync()
    {
        Assert.Equal(220, (await Connection.ReadGreetingAsync(Token)).Code);
        Assert.True((await Connection.EhloAsync(Token)).IsPositive);
    }

    public Task<SmtpTransactionResult> SendAsync(SmtpEnvelope envelope, string content) =>
        Connection.SendAsync(envelope, Content(content), Token).AsTask();

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Peer.DisposeAsync();
        _hang.Dispose();
    }
}
