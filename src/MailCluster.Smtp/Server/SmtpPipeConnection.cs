using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MailCluster.Smtp.Server;

/// <summary>An <see cref="ISmtpConnection"/> over any duplex pipe (a socket, or memory in tests), with STARTTLS by <see cref="SslStream"/>.</summary>
public sealed class SmtpPipeConnection : ISmtpConnection, IAsyncDisposable
{
    private readonly X509Certificate2? _certificate;
    private SslStream? _tls;

    public SmtpPipeConnection(IDuplexPipe transport, X509Certificate2? certificate)
    {
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
        _tls = new SslStream(new DuplexPipeStream(Input, Output), leaveInnerStreamOpen: false);
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

    /// <summary>A Stream over the raw pipes, for SslStream to read and write ciphertext.</summary>
    private sealed class DuplexPipeStream(PipeReader input, PipeWriter output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken);
                var data = result.Buffer;
                if (!data.IsEmpty)
                {
                    var n = (int)Math.Min(buffer.Length, data.Length);
                    data.Slice(0, n).CopyTo(buffer.Span);
                    input.AdvanceTo(data.GetPosition(n));
                    return n;
                }
                input.AdvanceTo(data.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return 0;
                }
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await output.WriteAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken).AsTask();

        public override void Flush() => throw new NotSupportedException("Synchronous I/O is not used.");

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous I/O is not used.");

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous I/O is not used.");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
