using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Shaping;
using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>The closed set of messages a <see cref="DomainActor"/> handles, one at a time.</summary>
internal abstract record DomainCommand
{
    /// <summary>The spool has due recipients for the domain (from the scheduler or the actor itself).</summary>
    public sealed record RecipientsDue : DomainCommand;

    public sealed record ShapingResolved(DomainShaping Shaping, string? PrimaryMx) : DomainCommand;

    /// <summary>The shaping configuration was reloaded: resolve this domain's limits again.</summary>
    public sealed record Reshape : DomainCommand;

    public sealed record Claimed(IReadOnlyList<DueRecipient> Recipients, int Requested) : DomainCommand;

    public sealed record ClaimFailed(string Reason) : DomainCommand;

    /// <summary>A job of a retry-tier entry this silo received: it joins the ready window.</summary>
    public sealed record Received(DeliveryJob Job) : DomainCommand;

    /// <summary>A connection worker of <paramref name="Source"/> asks for its next job (<paramref name="First"/>: it just connected); null in reply tells it to close.</summary>
    public sealed record JobRequested(EgressSource Source, TaskCompletionSource<DeliveryJob?> Reply, bool First) : DomainCommand;

    public sealed record AttemptFinished(EgressSource Source, JobResult Result) : DomainCommand;

    /// <summary>A worker found no usable MX host from its source; unless another source can go on, the failure applies to the domain's whole ready window.</summary>
    public sealed record ConnectFailed(EgressSource Source, Outcomes.DeliveryOutcome Failure) : DomainCommand;

    /// <summary>A worker ended (its socket closed, its site slot returned).</summary>
    public sealed record WorkerExited(EgressSource Source) : DomainCommand;

    /// <summary>A timer the actor set has fired (throttle wait, backoff end, idle check), or its site's grant arrived.</summary>
    public sealed record Tick : DomainCommand;

    /// <summary>An operator suspended or resumed the domain at its site's grain: ask the grain again now.</summary>
    public sealed record SuspensionChanged : DomainCommand;

    /// <summary>Replies with the actor's state once every command before it has been handled.</summary>
    public sealed record Inspect(TaskCompletionSource<DomainSnapshot> Reply) : DomainCommand;

    /// <summary>Shutdown: release what is not being attempted, close idle connections, stop taking commands.</summary>
    public sealed record Stop : DomainCommand;
}
