namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's state as it stood after its last command, published for metrics and the admin
/// API (which read it from other threads; the actor's own fields are its loop's alone).
/// </summary>
internal sealed record DomainSnapshot(
    string Domain,
    int Connections,
    int IdleConnections,
    int ConnectionCap,
    int ReadyRecipients,
    int JobsInFlight,
    bool ClaimPending,
    DateTimeOffset PausedUntil,
    bool Suspended)
{
    public bool IsBackingOff(DateTimeOffset now) => now < PausedUntil;
}
