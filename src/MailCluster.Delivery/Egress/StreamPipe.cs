using System.IO.Pipelines;

namespace MailCluster.Delivery.Egress;

/// <summary>A socket stream as the duplex pipe the SMTP client speaks over.</summary>
internal sealed class StreamPipe(Stream stream) : IDuplexPipe
{
    public PipeReader Input { get; } = PipeReader.Create(stream);

    public PipeWriter Output { get; } = PipeWriter.Create(stream);
}
