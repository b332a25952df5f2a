namespace MailCluster.Delivery.Actors;

/// <summary>
/// Which destination domains this silo's actors own. On the embedded spool the one silo owns them
/// all; on the shared PostgreSQL spool a lease-backed placement (rendezvous hashing over live
/// silos, lease rows with epochs) will say yes only for domains whose lease this silo holds.
/// </summary>
internal interface IDomainPlacement
{
    bool IsLocal(string domain);
}

/// <summary>The embedded spool's placement: a single silo owns every domain.</summary>
internal sealed class SingleSiloPlacement : IDomainPlacement
{
    public bool IsLocal(string domain) => true;
}
