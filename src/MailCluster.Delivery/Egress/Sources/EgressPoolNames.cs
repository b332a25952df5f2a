namespace MailCluster.Delivery.Egress.Sources;

/// <summary>
/// What ingress needs of this silo's egress pools when it accepts a message: whether a name is a
/// pool (and its configured spelling, which the spool keeps), and the header field a trusted
/// client names one with. The plan itself stays Delivery's.
/// </summary>
public sealed class EgressPoolNames
{
    private readonly EgressPlan _plan;

    internal EgressPoolNames(EgressPlan plan, string header)
    {
        _plan = plan;
        Header = header;
    }

    /// <summary>The pool header's field name, <c>Egress:PoolHeader</c>.</summary>
    public string Header { get; }

    /// <summary>The configured name of the pool called <paramref name="name"/> (names compare without case), or null when there is none.</summary>
    public string? Canonical(string name) => _plan.Pool(name)?.Name;
}
