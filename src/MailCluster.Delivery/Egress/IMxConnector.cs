using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;

namespace MailCluster.Delivery.Egress;

/// <summary>An open SMTP session to one MX host, ready for transactions.</summary>
internal interface IMxConnection : IAsyncDisposable
{
    MxEndpoint Endpoint { get; }

    /// <summary>Runs one transaction. Never throws for peer behaviour: a broken connection is an outcome.</summary>
    Task<JobResult> SendAsync(DeliveryJob job, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Ends the session politely (QUIT), ignoring a peer that already went away.</summary>
    Task CloseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Cuts the connection at once, from any thread (the site's lease lapsed): a transaction under
    /// way ends as a lost connection, or as an unknown outcome after the final dot.
    /// </summary>
    void Abort();
}

/// <summary>Opens connections to a domain's mail hosts: DNS, address policy, TCP, greeting, EHLO, STARTTLS.</summary>
internal interface IMxConnector
{
    /// <summary>
    /// The first MX host (in preference order) that accepts a session from <paramref name="source"/>,
    /// or the failure that applies to every recipient of the domain from it right now (DNS verdict,
    /// nobody answering, TLS policy, the source's address not bindable).
    /// </summary>
    Task<ConnectResult> ConnectAsync(string domain, DomainShaping shaping, EgressSource source, CancellationToken cancellationToken);

    /// <summary>
    /// The primary MX host name of a domain, for MX-suffix shaping rules; null when the domain has
    /// none (it bounces anyway). Throws <see cref="MxLookupFailedException"/> when DNS cannot say now.
    /// </summary>
    Task<string?> PrimaryMxAsync(string domain, CancellationToken cancellationToken);
}

/// <summary>A temporary DNS failure (SERVFAIL, timeout): the domain's MX host is not known yet.</summary>
internal sealed class MxLookupFailedException(string message) : Exception(message);

/// <summary>Either a connection or the reason there is none.</summary>
/// <summary>A session, or why none: <paramref name="SourceFailed"/> when the source itself could not send (its address, its proxy), whatever the host.</summary>
internal sealed record ConnectResult(IMxConnection? Connection, DeliveryOutcome? Failure, bool SourceFailed = false);
