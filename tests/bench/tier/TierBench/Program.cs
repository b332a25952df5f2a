using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.RetryTier.AzureStorage;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;

// TierBench CONNECTION-STRING ENTRIES CONTENT-BYTES PARALLEL [SERVICE-ID]: one pass of each retry
// tier round trip over ENTRIES entries (a fresh service id unless given, 8 partitions): add,
// receive (32 per call), reschedule (due now), receive again, delete. Prints entries/s per step.
var (connection, count, size, parallel) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
var service = args.Length > 4 ? args[4] : "bench" + Guid.NewGuid().ToString("N")[..10];
using var meters = new Meters();
var tier = new AzureRetryTier(connection, service, new RetryTierOptions { Partitions = 8 }, new RetryTierMetrics(meters), TimeProvider.System);
var content = new byte[size];
Array.Fill(content, (byte)'x');
var entries = Enumerable.Range(0, count).Select(i => new RetryEntry(
    RetryEntry.NewId(), $"d{i % 64}.bench.test",
    new SpoolMessage($"Q{i:D12}", "sender@bench.test", TimeProvider.System.GetUtcNow(), size, null, DsnReturn.Unspecified, false, false),
    [new EnvelopeRecipient($"user{i}@d{i % 64}.bench.test", $"d{i % 64}.bench.test", DsnNotify.Unspecified, null)],
    1, "451 4.3.0 Try again later", 0, TimeProvider.System.GetUtcNow(), content)).ToList();
var now = TimeProvider.System.GetUtcNow();
var lease = TimeSpan.FromMinutes(5);

await Step("add", () => Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (e, ct) => await tier.AddAsync(e, now, ct)));
var received = new List<ReceivedEntry>();
await Step("receive", async () => received = await ReceiveAllAsync());
await Step("reschedule", () => Parallel.ForEachAsync(received, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (r, ct) =>
    await tier.RescheduleAsync(r, r.Entry with { Attempts = 2, Receives = (int)r.DequeueCount }, now, ct)));
await Step("receive again", async () => received = await ReceiveAllAsync());
await Step("delete", () => Parallel.ForEachAsync(received, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (r, ct) => await tier.DeleteAsync(r, ct)));

async Task Step(string name, Func<Task> step)
{
    var clock = Stopwatch.StartNew();
    await step();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-14} {count / clock.Elapsed.TotalSeconds,8:0} entries/s  ({clock.Elapsed.TotalSeconds:0.00} s)"));
}

// Every partition in parallel, 32 per call, until all entries came back (bounded: 2 minutes).
async Task<List<ReceivedEntry>> ReceiveAllAsync()
{
    var all = new List<ReceivedEntry>();
    var partitions = await tier.PartitionsAsync(default);
    var deadline = Stopwatch.StartNew();
    while (all.Count < count && deadline.Elapsed < TimeSpan.FromMinutes(2))
    {
        var batches = await Task.WhenAll(partitions.SelectMany(p => Enumerable.Repeat(p, Math.Max(1, parallel / partitions.Count)))
            .Select(p => tier.ReceiveAsync(p, 32, lease, default)));
        all.AddRange(batches.SelectMany(b => b));
    }
    return all;
}

internal sealed class Meters : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose() => _meters.ForEach(m => m.Dispose());
}
