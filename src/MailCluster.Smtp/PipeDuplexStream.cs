using System.IO.Pipelines;

namespace MailCluster.Smtp;

/// <summary>
/// The raw transport pipes as one Stream, for an SslStream to read and write ciphertext: the
/// server's and the client's STARTTLS, and in-memory TLS peers in tests.
/// </summary>
internal sealed class PipeDuplexStream(IDuplexPipe transport) : Stream
{
    private readonly Stream _input = transport.Input.AsStream(leaveOpen: true);
    private readonly Stream _output = transport.Output.AsStream(leaveOpen: true);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _input.ReadAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _output.WriteAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _input.ReadAsync(buffer, offset, count, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _output.WriteAsync(buffer, offset, count, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

    public override void Flush() => throw new NotSupportedException("Synchronous I/O is not used.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous I/O is not used.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous I/O is not used.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
