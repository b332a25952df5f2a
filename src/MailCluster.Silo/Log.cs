using System.Net;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo;

/// <summary>The silo's log messages. Event ids: 1000-1099 ingress, 1100 a commit the spool refused.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Debug, "Accepted {QueueId} from {Client}: sender <{Sender}>, {Recipients} recipient(s), {Size} octets, egress pool {Pool}")]
    public static partial void MessageAccepted(ILogger logger, string queueId, IPEndPoint client, string sender, int recipients, long size, string pool);

    [LoggerMessage(1001, LogLevel.Debug, "SMTP session from {Client} ended abruptly: {Reason}")]
    public static partial void SessionAborted(ILogger logger, IPEndPoint client, string reason);

    [LoggerMessage(1002, LogLevel.Debug, "Implicit-TLS connection from {Client} closed without a handshake: Smtp:MaxRefusalHandshakes are under way")]
    public static partial void RefusedWithoutHandshake(ILogger logger, IPEndPoint client);

    [LoggerMessage(1100, LogLevel.Warning, "Spool commit of {QueueId} from {Client} failed; client told to retry: {Reason}")]
    public static partial void SpoolCommitFailed(ILogger logger, string queueId, IPEndPoint client, string reason);

    [LoggerMessage(1200, LogLevel.Information, "{Client} authenticated as {User}")]
    public static partial void Authenticated(ILogger logger, IPEndPoint client, string user);

    [LoggerMessage(1201, LogLevel.Warning, "{Client} failed to authenticate as {User}")]
    public static partial void AuthenticationFailed(ILogger logger, IPEndPoint client, string user);

    [LoggerMessage(1202, LogLevel.Warning, "{Client} was refused AUTH as {User} without a check: {Reason}")]
    public static partial void AuthenticationRefused(ILogger logger, IPEndPoint client, string user, string reason);

    [LoggerMessage(1101, LogLevel.Warning, "The {Kind} event of {Recipient} could not be stored: {Reason}")]
    public static partial void EventNotRecorded(ILogger logger, string kind, string recipient, string reason);

    [LoggerMessage(1102, LogLevel.Information, "Complaint: {Complainer} about {QueueId} {MessageId}, reported from {Client}; the address is suppressed")]
    public static partial void Complaint(ILogger logger, string complainer, string queueId, string messageId, System.Net.IPEndPoint client);

    [LoggerMessage(1103, LogLevel.Warning, "Feedback report {QueueId} from {Client} is kept under the spool's feedback/ for an operator: {Reason}")]
    public static partial void FeedbackReportKept(ILogger logger, string queueId, System.Net.IPEndPoint client, string reason);
}
