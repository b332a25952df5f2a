using Microsoft.Extensions.Logging;

namespace MailCluster.Events;

/// <summary>The events room's log messages. Event ids 2500-2599.</summary>
internal static partial class Log
{
    [LoggerMessage(2501, LogLevel.Warning, "Event sink {Sink}: delivering events {First}-{Last} failed ({Error}); the batch is offered again")]
    public static partial void DeliveryFailed(ILogger logger, string sink, long first, long last, string error);

    [LoggerMessage(2502, LogLevel.Error, "Event sink {Sink} is disabled: {Reason}. Its events stay in the journal (up to Events:MaxBacklogBytes) until the silo restarts with the sink fixed or removed")]
    public static partial void SinkDisabled(ILogger logger, string sink, string reason);

    [LoggerMessage(2503, LogLevel.Warning, "The event journal was over Events:MaxBacklogBytes ({MaxBytes} bytes): {Dropped} of the oldest events were dropped before every sink took them")]
    public static partial void EventsDropped(ILogger logger, long maxBytes, int dropped);

    [LoggerMessage(2504, LogLevel.Warning, "The event journal could not be trimmed: {Error}")]
    public static partial void TrimFailed(ILogger logger, string error);

    [LoggerMessage(2505, LogLevel.Warning, "The event sinks cannot start yet, their cursors are unreadable ({Error}); tried again at the next tick")]
    public static partial void CursorsUnreadable(ILogger logger, string error);
}
