using Microsoft.Extensions.Logging;

namespace MailCluster.Spool;

/// <summary>The spool room's log messages. Event ids 1100-1199, and the two startup lines it kept from the silo (1900, 1902).</summary>
internal static partial class Log
{
    [LoggerMessage(1101, LogLevel.Warning, "Spool room: {State}")]
    public static partial void RoomChanged(ILogger logger, string state);

    [LoggerMessage(1900, LogLevel.Information, "Spool at {Path} holds {Messages} message(s), {Recipients} queued recipient(s); {Free} bytes free, {Reserve} kept in reserve")]
    public static partial void Opened(ILogger logger, string path, long messages, long recipients, long free, long reserve);

    [LoggerMessage(1902, LogLevel.Warning, "{Recipients} recipient(s) were being delivered when the silo last stopped; they are retried, and some may arrive twice")]
    public static partial void InFlightAtCrash(ILogger logger, int recipients);
}
