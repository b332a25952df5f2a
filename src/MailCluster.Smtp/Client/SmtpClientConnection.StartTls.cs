using System.IO.Pipelines;
using System.Net.Security;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

public sealed partial class SmtpClientConnection
{
    /// <summary>
    /// STARTTLS (RFC 3207). A reply other than 220 is returned as is and the session stays in
    /// plaintext (the caller's policy decides whether to go on). After 220 the handshake runs with
    /// <paramref name="tls"/> (see <see cref="SmtpTlsOptions"/>) and EHLO is sent again; its reply is
    /// returned and <see cref="TlsProtocol"/> is set.
    /// </summary>
    public async ValueTask<SmtpReply> StartTlsAsync(SslClientAuthenticationOptions tls, CancellationToken cancellationToken)
    {
        if (_tls is not null)
        {
            throw new InvalidOperationException("TLS is already active.");
        }
        var reply = await CommandAsync("STARTTLS", Options.Timeouts.Ehlo, "STARTTLS", cancellationToken);
        if (reply.Code != 220)
        {
            return reply;
        }
        // RFC 3207 5 (CVE-2011-0411, client side): nothing may follow the 220 in plaintext; bytes that
        // did would be read as if they came over TLS. Someone injected them: drop the connection.
        if (_replies.HasUnreadInput())
        {
            _broken = true;
            throw new SmtpProtocolException(SmtpProtocolFault.Violation, "Peer sent data after its 220 reply to STARTTLS");
        }
        var stream = new SslStream(new PipeDuplexStream(_transport), leaveInnerStreamOpen: false);
        _tls = stream;
        await WithDeadlineAsync(
            async token =>
            {
                await stream.AuthenticateAsClientAsync(tls, token);
                return true;
            },
            Options.Timeouts.TlsHandshake,
            "TLS handshake",
            cancellationToken);
        var pipe = new StreamDuplexPipe(stream, leaveOpen: true);
        (_input, _output) = (pipe.Input, pipe.Output);
        _replies = new ReplyReader(_input, Options);
        // RFC 3207 4.2: forget everything learnt before TLS and ask again.
        return await EhloAsync(cancellationToken);
    }
}
