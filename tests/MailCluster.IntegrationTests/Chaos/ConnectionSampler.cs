using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Chaos;

/// <summary>Reads a sink's open connections every 20 ms and keeps the highest count seen.</summary>
internal sealed class ConnectionSampler : IAsyncDisposable
{
    private static readonly TimeSpan s_every = TimeSpan.FromMilliseconds(20);

    // An hour of samples at most, should the run never stop it.
    private const int MaxSamples = 180_000;

    private readonly AiosmtpdSink _sink;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private int _highest;
    private int _samples;

    public ConnectionSampler(AiosmtpdSink sink)
    {
        _sink = sink;
        _sampling = Task.Run(SampleAsync);
    }

    public int Highest => Volatile.Read(ref _highest);

    public int Samples => Volatile.Read(ref _samples);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(s_every);
        try
        {
            while (Samples < MaxSamples && await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = _sink.CurrentConnections();
                Volatile.Write(ref _highest, Math.Max(Highest, now));
                Interlocked.Increment(ref _samples);
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }
}
