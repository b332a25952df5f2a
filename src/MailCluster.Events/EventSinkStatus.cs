using MailCluster.Spool;

namespace MailCluster.Events;

/// <summary>
/// A sink as operators see it: where its cursor is, what it has not taken (events, bytes, the age
/// of the oldest), its last error, and events per second it delivered over the last minute.
/// </summary>
public sealed record EventSinkStatus(
    string Name, string Target, string State, long Cursor, EventBacklog Backlog, TimeSpan Lag, long Delivered, double PerSecond,
    string? LastError, DateTimeOffset? LastErrorAt)
{
    public bool Disabled => State == EventSinkRunner.DisabledState;
}
