using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery;

/// <summary>Delivery log messages. Event ids 2000-2099 actors, 2100-2199 egress, 2200-2299 outcomes.</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Error, "Domain actor {Domain} failed handling a command")]
    public static partial void ActorFault(ILogger logger, string domain, Exception exception);

    [LoggerMessage(2001, LogLevel.Warning, "Domain {Domain} could not claim due recipients: {Reason}")]
    public static partial void ClaimFailed(ILogger logger, string domain, string reason);

    [LoggerMessage(2002, LogLevel.Information, "Domain {Domain} suspended by an operator")]
    public static partial void Suspended(ILogger logger, string domain);

    [LoggerMessage(2003, LogLevel.Information, "Domain {Domain} resumed by an operator")]
    public static partial void Resumed(ILogger logger, string domain);

    [LoggerMessage(2004, LogLevel.Warning, "Domain {Domain} backing off from source {Source} for {Period} (its site's grain halves the connection budget): {Reason}")]
    public static partial void BackingOff(ILogger logger, string domain, string source, TimeSpan period, string reason);

    [LoggerMessage(2006, LogLevel.Warning, "Domain {Domain} {Effect} from source {Source} for {Period} by response rule {Rule} (the site's grain applies it for every silo): {Reason}")]
    public static partial void RuleSlowedDown(ILogger logger, string domain, string source, string effect, TimeSpan period, string rule, string reason);

    [LoggerMessage(2005, LogLevel.Warning, "Source {Source} could not connect ({Stage}): {Reason}; the other sources of its pool carry its share")]
    public static partial void SourceFailed(ILogger logger, string source, string stage, string reason);

    [LoggerMessage(2100, LogLevel.Error, "Attempt for {QueueId} at {Domain} failed unexpectedly; recipients deferred")]
    public static partial void AttemptFault(ILogger logger, string domain, string queueId, Exception exception);

    [LoggerMessage(2201, LogLevel.Error, "The DSN for {QueueId} could not be built; its failed recipients are removed without one")]
    public static partial void DsnFailed(ILogger logger, string queueId, Exception exception);

    [LoggerMessage(2200, LogLevel.Error, "Outcomes of {QueueId} could not be recorded; its recipients stay claimed until restart: {Reason}")]
    public static partial void OutcomesNotRecorded(ILogger logger, string queueId, string reason);

    [LoggerMessage(2203, LogLevel.Error, "{Events} delivery event(s) of a retry-tier entry could not be stored (the outcome stands in the tier): {Reason}")]
    public static partial void EventsNotRecorded(ILogger logger, int events, string reason);

    [LoggerMessage(2202, LogLevel.Warning, "{Address} bounced as nonexistent but could not be added to the suppression list: {Reason}")]
    public static partial void SuppressionNotRecorded(ILogger logger, string address, string reason);

    [LoggerMessage(2300, LogLevel.Information, "MTA-STS policy {PolicyId} of {Domain} fetched: mode {Mode}, max_age {MaxAge}")]
    public static partial void MtaStsPolicyFetched(ILogger logger, string domain, string policyId, MtaSts.MtaStsMode mode, TimeSpan maxAge);

    [LoggerMessage(2301, LogLevel.Warning, "MTA-STS policy {PolicyId} of {Domain} could not be fetched (a cached one still applies): {Reason}")]
    public static partial void MtaStsFetchFailed(ILogger logger, string domain, string policyId, string? reason);
}
