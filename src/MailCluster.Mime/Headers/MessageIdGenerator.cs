using System.Globalization;

namespace MailCluster.Mime.Headers;

/// <summary>
/// Makes RFC 5322 3.6.4 msg-ids, <c>&lt;yyyyMMddHHmmss.random@domain&gt;</c>: the time from the injected
/// clock and 64 random bits, so two ids collide only if the clock and the random source both repeat.
/// Pass <see cref="Random.Shared"/> in production (it is thread-safe); tests pass a seeded Random.
/// </summary>
public sealed class MessageIdGenerator
{
    private readonly TimeProvider _time;
    private readonly Random _random;

    public MessageIdGenerator(TimeProvider time, Random random)
    {
        _time = time;
        _random = random;
    }

    /// <summary>A unique token of letters, digits and one dot, usable as an id's left part or a MIME boundary.</summary>
    public string NextToken() =>
        _time.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + _random.NextInt64().ToString("x16", CultureInfo.InvariantCulture);

    public string Next(string domain) => $"<{NextToken()}@{domain}>";
}
