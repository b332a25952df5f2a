using System.Diagnostics;
using System.Globalization;
using MailCluster.Dns;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Wire;

// Usage: DnsBench <nameserver ip:port> <dnsperf query file> <mx domain> <uncached lookups> <cached lookups> <concurrency>
if (args.Length != 6)
{
    Console.Error.WriteLine("usage: DnsBench <nameserver> <queryfile> <mxdomain> <uncached> <cached> <concurrency>");
    return 2;
}

var nameserver = args[0];
var questions = File.ReadAllLines(args[1])
    .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
    .Where(fields => fields.Length == 2)
    .Select(fields => new DnsQuestion(fields[0], Enum.Parse<DnsRecordType>(fields[1], ignoreCase: true)))
    .ToArray();
var mxDomain = args[2];
var uncachedCount = int.Parse(args[3], CultureInfo.InvariantCulture);
var cachedCount = int.Parse(args[4], CultureInfo.InvariantCulture);
var concurrency = int.Parse(args[5], CultureInfo.InvariantCulture);

// Cached: one warm-up over the network, then every MX (and host A/AAAA) lookup is a cache hit.
var cachedOptions = new DnsOptions { Nameservers = { nameserver } };
var mxResolver = DnsResolver.CreateMxResolver(cachedOptions, TimeProvider.System, Random.Shared);
var warm = await mxResolver.ResolveAsync(mxDomain, CancellationToken.None);
if (warm.Kind != MxResolutionKind.Resolved)
{
    Console.Error.WriteLine($"warm-up failed: {warm.Reason}");
    return 1;
}

var cachedRate = await MeasureAsync(cachedCount, concurrency, _ => new ValueTask(mxResolver.ResolveAsync(mxDomain, CancellationToken.None)));

// Uncached: the cache is off (MaxCacheEntries = 0), so each lookup is a UDP exchange with the server.
var uncachedOptions = new DnsOptions { Nameservers = { nameserver }, MaxCacheEntries = 0 };
var resolver = DnsResolver.Create(uncachedOptions, TimeProvider.System);
var failures = 0;
var uncachedRate = await MeasureAsync(uncachedCount, concurrency, async i =>
{
    var result = await resolver.LookupAsync(questions[i % questions.Length], CancellationToken.None);
    if (result.Status != DnsLookupStatus.Success)
    {
        Interlocked.Increment(ref failures);
    }
});

Console.WriteLine(FormattableString.Invariant($"cached_mx_per_second {cachedRate:F0}"));
Console.WriteLine(FormattableString.Invariant($"uncached_per_second {uncachedRate:F0}"));
Console.WriteLine(FormattableString.Invariant($"uncached_failures {failures}"));
return 0;

static async Task<double> MeasureAsync(int count, int concurrency, Func<int, ValueTask> lookup)
{
    var next = -1;
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
        {
            await lookup(i);
        }
    }));
    return count / stopwatch.Elapsed.TotalSeconds;
}
