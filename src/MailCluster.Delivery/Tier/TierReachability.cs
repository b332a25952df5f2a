using MailCluster.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Tier;

/// <summary>The consumer's storage calls: a failure is answered with Ok false and logged once per outage, and its end once.</summary>
internal sealed partial class TierReachability
{
    private readonly OutageLog _outage;

    public TierReachability(ILogger logger) =>
        _outage = new OutageLog((kind, exception) => TierUnreachable(logger, kind, exception.Message), () => TierBack(logger));

    public async Task<(bool Ok, T Value)> TryAsync<T>(string kind, Func<Task<T>> call)
    {
        try
        {
            var result = await call();
            _outage.Answered();
            return (true, result);
        }
        catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
        {
            _outage.Failed(kind, exception);
            return (false, default!);
        }
        catch (OperationCanceledException)
        {
            return (false, default!);
        }
    }

    [LoggerMessage(2410, LogLevel.Warning, "The retry tier does not answer ({Kind}: {Reason}); deferred mail stays in the local spool until it does")]
    private static partial void TierUnreachable(ILogger logger, string kind, string reason);

    [LoggerMessage(2411, LogLevel.Information, "The retry tier answers again")]
    private static partial void TierBack(ILogger logger);
}
