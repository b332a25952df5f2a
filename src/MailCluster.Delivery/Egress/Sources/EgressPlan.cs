using System.Net;
using MailCluster.Spool;

namespace MailCluster.Delivery.Egress.Sources;

/// <summary>The sources and pools of this silo, resolved from <see cref="EgressOptions"/> (validated before).</summary>
internal sealed class EgressPlan
{
    private readonly Dictionary<string, EgressPool> _pools;

    private EgressPlan(IReadOnlyList<EgressSource> sources, Dictionary<string, EgressPool> pools, EgressPool defaultPool)
    {
        Sources = sources;
        _pools = pools;
        DefaultPool = defaultPool;
    }

    public IReadOnlyList<EgressSource> Sources { get; }

    public EgressPool DefaultPool { get; }

    public IEnumerable<EgressPool> Pools => _pools.Values;

    /// <summary>Without sources: one implicit source on the default address, alone in the default pool.</summary>
    public static EgressPlan From(EgressOptions options, string heloName)
    {
        if (options.Sources.Count == 0)
        {
            var source = new EgressSource(EgressSource.ImplicitName, null, heloName, null, isImplicit: true);
            var pool = new EgressPool(EgressSource.ImplicitName, [new PoolMember(source, 1)]);
            return new EgressPlan([source], new Dictionary<string, EgressPool>(StringComparer.OrdinalIgnoreCase) { [pool.Name] = pool }, pool);
        }
        var sources = options.Sources.ToDictionary(
            s => s.Name,
            s => new EgressSource(
                s.Name,
                s.Address is null ? null : IPAddress.Parse(s.Address),
                s.EhloName ?? heloName,
                s.Socks5 is not null && EgressSource.TryParseProxy(s.Socks5, out var proxy) ? proxy : null,
                warmUp: WarmUpSchedule.From(s.WarmUp)),
            StringComparer.OrdinalIgnoreCase);
        var pools = options.Pools.ToDictionary(
            p => p.Name,
            p => new EgressPool(p.Name, [.. p.Sources.Select(m => new PoolMember(sources[m.Name], m.Weight))], p.Overflow == PoolOverflow.Hold),
            StringComparer.OrdinalIgnoreCase);
        return new EgressPlan([.. sources.Values], pools, pools[options.DefaultPool ?? options.Pools[0].Name]);
    }

    public EgressPool? Pool(string name) => _pools.GetValueOrDefault(name);

    /// <summary>The pool a message goes through: the one chosen at submission, or the default; null when the chosen one is no longer configured.</summary>
    public EgressPool? PoolOf(SpoolMessage message) => message.Pool is { } name ? Pool(name) : DefaultPool;
}
