using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MailCluster.Smtp.Server;

/// <summary>An <see cref="ISmtpConnection"/> over any duplex pipe (a socket, or memory in tests), with STARTTLS by <see cref="SslStream"/>.</summary>
public sealed class SmtpPipeConnection : ISmtpConnection, IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly X509Certificate2? _certificate;
    private SslStream? _tls;

    public SmtpPipeConnection(IDuplexPipe transport, X509Certificate2? certificate)
    {
        _transport = transport;
        Input = transport.Input;
        Output = transport.Output;
        _certificate = certificate;
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public bool IsTlsAvailable => _certificate is not null && _tls is null;

    public async ValueTask<SslProtocols> UpgradeToTlsAsync(CancellationToken cancellationToken)
    {
        if (_certificate is null || _tls is not null)
        {
            throw new InvalidOperationException("TLS is not available on this connection.");
        }
        _tls = new SslStream(new PipeDuplexStream(_transport), leaveInnerStreamOpen: false);
        await _tls.AuthenticateAsServerAsync(
            new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateRequired = false,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            },
            cancellationToken);
        Input = PipeReader.Create(_tls, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(_tls, new StreamPipeWriterOptions(leaveOpen: true));
        return _tls.SslProtocol;
    }

    public async ValueTask DisposeAsync()
    {
        if (_tls is not null)
        {
            await Input.CompleteAsync();
            await Output.CompleteAsync();
            await _tls.DisposeAsync();
        }
    }
}
