using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;

namespace MailCluster.Delivery.Egress;

/// <summary>One SMTP transaction's worth of work: a message and some of its recipients at one domain.</summary>
public sealed record DeliveryJob(SpoolMessage Message, IReadOnlyList<DueRecipient> Recipients);

/// <summary>Which MX host and address an attempt used, and over what TLS, for the delivery log.</summary>
public sealed record MxEndpoint(string Host, string Address, string? TlsProtocol);

/// <summary>What one attempt produced: an outcome per recipient (same order as the job's), and whether the connection can carry another transaction.</summary>
public sealed record JobResult(DeliveryJob Job, IReadOnlyList<DeliveryOutcome> Outcomes, MxEndpoint? Endpoint, TimeSpan Latency, bool ConnectionUsable, bool PossibleDuplicate = false);
