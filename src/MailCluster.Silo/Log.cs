using System.Net;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo;

/// <summary>The silo's log messages. Event ids: 1000-1099 ingress, 1100-1199 spool, 1900-1999 lifecycle.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Debug, "Accepted {QueueId} from {Client}: sender <{Sender}>, {Recipients} recipient(s), {Size} octets")]
    public static partial void MessageAccepted(ILogger logger, string queueId, IPEndPoint client, string sender, int recipients, long size);

    [LoggerMessage(1001, LogLevel.Debug, "SMTP session from {Client} ended abruptly: {Reason}")]
    public static partial void SessionAborted(ILogger logger, IPEndPoint client, string reason);

    [LoggerMessage(1100, LogLevel.Warning, "Spool commit of {QueueId} from {Client} failed; client told to retry: {Reason}")]
    public static partial void SpoolCommitFailed(ILogger logger, string queueId, IPEndPoint client, string reason);

    [LoggerMessage(1101, LogLevel.Warning, "Spool room: {State}")]
    public static partial void SpoolRoomChanged(ILogger logger, string state);

    [LoggerMessage(1900, LogLevel.Information, "Spool at {Path} holds {Messages} message(s), {Recipients} queued recipient(s); {Free} bytes free, {Reserve} kept in reserve")]
    public static partial void SpoolOpened(ILogger logger, string path, long messages, long recipients, long free, long reserve);

    [LoggerMessage(1902, LogLevel.Warning, "{Recipients} recipient(s) were being delivered when the silo last stopped; they are retried, and some may arrive twice")]
    public static partial void InFlightAtCrash(ILogger logger, int recipients);

    [LoggerMessage(1901, LogLevel.Information, "SMTP listening on {Endpoints}; STARTTLS {Tls}")]
    public static partial void Listening(ILogger logger, string endpoints, string tls);
}
