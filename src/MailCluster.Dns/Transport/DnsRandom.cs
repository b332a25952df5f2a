namespace MailCluster.Dns.Transport;

/// <summary>
/// Randomness for lookups: query ids from the cryptographic generator (RFC 5452 9.2: an attacker
/// who can predict them can forge answers), and the injected <see cref="Random"/>, made safe to
/// share between concurrent lookups, for the order of equal-preference MX hosts.
/// </summary>
internal sealed class DnsRandom(Random random)
{
    private readonly Lock _gate = new();

    public static ushort NextId() => (ushort)System.Security.Cryptography.RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);

    public void Shuffle<T>(Span<T> values)
    {
        lock (_gate)
        {
            random.Shuffle(values);
        }
    }
}
