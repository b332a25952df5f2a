using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Chaos;

/// <summary>
/// Reads a sink's open connections every 20 ms and keeps the highest count seen, with what was
/// going on (<c>moment</c>: the fault in progress, or the last one) when it was first seen.
/// </summary>
internal sealed class ConnectionSampler : IAsyncDisposable
{
    private static readonly TimeSpan s_every = TimeSpan.FromMilliseconds(20);

    // An hour of samples at most, should the run never stop it.
    private const int MaxSamples = 180_000;

    private readonly AiosmtpdSink _sink;
    private readonly Func<string> _moment;
    private readonly int _limit;
    private readonly List<string> _overLimit = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private int _highest;
    private int _samples;
    private string _highestSeen = "";

    public ConnectionSampler(AiosmtpdSink sink, int limit, Func<string> moment)
    {
        _sink = sink;
        _limit = limit;
        _moment = moment;
        _sampling = Task.Run(SampleAsync);
    }

    public int Highest => Volatile.Read(ref _highest);

    public int Samples => Volatile.Read(ref _samples);

    /// <summary>Each moment (at most 50) in which a sample was above the limit, with the first such count: the evidence when a limit breaks.</summary>
    public IReadOnlyList<string> OverLimit
    {
        get
        {
            lock (_overLimit)
            {
                return [.. _overLimit];
            }
        }
    }

    /// <summary>When the highest count was first seen: the moment's description.</summary>
    public string HighestSeen => Volatile.Read(ref _highestSeen);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private void NoteOverLimit(int count)
    {
        var moment = _moment();
        lock (_overLimit)
        {
            if (_overLimit.Count < 50 && (_overLimit.Count == 0 || !_overLimit[^1].EndsWith(moment, StringComparison.Ordinal)))
            {
                _overLimit.Add($"{count} connections at {TimeProvider.System.GetUtcNow():HH:mm:ss.ff} {moment}");
            }
        }
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(s_every);
        try
        {
            while (Samples < MaxSamples && await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = _sink.CurrentConnections();
                if (now > _limit)
                {
                    NoteOverLimit(now);
                }
                if (now > Highest)
                {
                    Volatile.Write(ref _highestSeen, _moment());
                    Volatile.Write(ref _highest, now);
                }
                Interlocked.Increment(ref _samples);
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }
}
