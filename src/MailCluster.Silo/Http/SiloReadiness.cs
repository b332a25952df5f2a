using MailCluster.Spool;

namespace MailCluster.Silo.Http;

/// <summary>
/// Whether this silo should get traffic (<c>/readyz</c>): its listeners are bound, it is not
/// draining, its spool can commit and it has room for a message of the maximum size. A load balancer or Kubernetes takes it out of rotation
/// while not ready; liveness (<c>/healthz</c>) stays up so that it is not restarted meanwhile.
/// </summary>
internal sealed class SiloReadiness(ISpoolIntake spool)
{
    private volatile bool _listening;
    private volatile bool _draining;

    public bool IsDraining => _draining;

    /// <summary>Called once the host has started, which is after Kestrel bound every listener.</summary>
    public void MarkListening() => _listening = true;

    /// <summary>Called when shutdown begins: new work should go to other silos from now on.</summary>
    public void MarkDraining() => _draining = true;

    /// <summary>Why the silo should not get traffic now, or null when it is ready.</summary>
    public string? NotReadyReason() =>
        _draining ? "draining"
        : !_listening ? "listeners not bound yet"
        : spool.UnhealthyReason is { } reason ? $"spool unhealthy: {reason}"
        : spool.Headroom.RefusesLargestMessage() is { } full ? $"refusing new mail: {full}"
        : null;
}
