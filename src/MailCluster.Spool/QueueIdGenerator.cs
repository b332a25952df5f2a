namespace MailCluster.Spool;

/// <summary>
/// Queue ids: 20 characters of Crockford base32 over 48 bits of milliseconds, 32 random bits chosen
/// per process and a 16-bit sequence, so ids sort by arrival and stay unique across silos.
/// </summary>
public sealed class QueueIdGenerator
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private readonly TimeProvider _time;
    private readonly uint _node;
    private int _sequence;

    public QueueIdGenerator(TimeProvider time, Random random)
    {
        _time = time;
        _node = (uint)random.NextInt64(0, 1L << 32);
    }

    /// <summary>Whether <paramref name="text"/> has the shape of a queue id (20 characters of the alphabet), e.g. in a Received: field read back.</summary>
    public static bool IsWellFormed(string text) => text.Length == 20 && text.All(c => Alphabet.Contains(c, StringComparison.Ordinal));

    public string Next()
    {
        var millis = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds() & 0xFFFF_FFFF_FFFF;
        var sequence = (ulong)(Interlocked.Increment(ref _sequence) & 0xFFFF);
        var high = (millis << 16) | (_node >> 16);              // 64 bits: time, then node's high half
        var low = ((ulong)(_node & 0xFFFF) << 16) | sequence;    // 32 bits: node's low half, sequence
        return string.Create(20, (high, low), static (span, v) =>
        {
            // 96 bits, 5 at a time, most significant first (the top group holds 1 bit).
            for (var i = 19; i >= 0; i--)
            {
                span[i] = Alphabet[(int)(v.low & 31)];
                v.low = (v.low >> 5) | ((v.high & 31) << 27);
                v.high >>= 5;
            }
        });
    }
}
