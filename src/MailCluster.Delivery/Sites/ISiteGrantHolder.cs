using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Sites;

/// <summary>What a <see cref="SiteExchange"/> reports from and applies its grants to: the silo's side of one site.</summary>
internal interface ISiteGrantHolder
{
    /// <summary>The period's report is due: connections are open (their leases need renewing) or mail waits.</summary>
    bool RenewalDue { get; }

    /// <summary>The report to send now; what it gives back and asks for counts as sent.</summary>
    SiteReport Report(DateTimeOffset now);

    /// <summary>The grain answered <paramref name="report"/>, sent at <paramref name="sentAt"/> (wall clock) and <paramref name="sentStamp"/> (monotonic).</summary>
    void Granted(SiteReport report, SiteGrant grant, DateTimeOffset sentAt, long sentStamp);

    /// <summary>An exchange ended, answered or not: whoever waits for a grant looks again.</summary>
    void ExchangeEnded();
}
