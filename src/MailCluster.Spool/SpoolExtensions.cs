using System.Buffers;

namespace MailCluster.Spool;

public static class SpoolExtensions
{
    /// <summary>The stored content of a message as a new array, or null when it is not in the spool.</summary>
    public static async ValueTask<byte[]?> ReadContentAsync(this IDeliveryQueue spool, string queueId, CancellationToken cancellationToken)
    {
        var content = new ArrayBufferWriter<byte>();
        return await spool.ReadContentAsync(queueId, content, cancellationToken) ? content.WrittenSpan.ToArray() : null;
    }
}
