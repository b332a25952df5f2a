namespace MailCluster.Dns.Transport;

/// <summary>The injected <see cref="Random"/>, made safe to share between concurrent lookups.</summary>
internal sealed class DnsRandom(Random random)
{
    private readonly Lock _gate = new();

    public ushort NextId()
    {
        lock (_gate)
        {
            return (ushort)random.Next(ushort.MaxValue + 1);
        }
    }

    public void Shuffle<T>(Span<T> values)
    {
        lock (_gate)
        {
            random.Shuffle(values);
        }
    }
}
