using Azure.Core;
using Azure.Core.Pipeline;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A network fault between a client and storage: the first request that <paramref name="matches"/>
/// reaches the server and is carried out, and its reply is lost on the way back (the connection
/// resets), so the client cannot tell whether it landed.
/// </summary>
public sealed class LostReplies(Func<HttpMessage, bool> matches) : HttpPipelinePolicy
{
    private int _lost;

    public int Lost => Volatile.Read(ref _lost);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        if (matches(message) && Interlocked.CompareExchange(ref _lost, 1, 0) == 0)
        {
            throw new IOException($"connection reset before the reply to {message.Request.Method} {message.Request.Uri.Path} arrived");
        }
    }
}
