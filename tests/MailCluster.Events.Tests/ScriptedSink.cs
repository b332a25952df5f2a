using System.Text;
using System.Threading.Channels;
using MailCluster.Events.Sinks;

namespace MailCluster.Events.Tests;

/// <summary>
/// The receiver's side of a sink, scripted by the test: each delivery waits for the test to answer
/// it (take, fail, gone, or never), so a test steps through retries on its fake clock.
/// </summary>
internal sealed class ScriptedSink : IEventSink
{
    private readonly Channel<Offer> _offers = Channel.CreateUnbounded<Offer>();

    private readonly List<string> _taken = [];

    /// <summary>Every event the receiver took so far, in the order it took them (repeats included).</summary>
    public IReadOnlyList<string> Taken
    {
        get
        {
            lock (_taken)
            {
                return [.. _taken];
            }
        }
    }

    public bool Disposed { get; private set; }

    public async Task DeliverAsync(EventBatch batch, CancellationToken cancellationToken)
    {
        var offer = new Offer([.. batch.Events.Select(e => Encoding.UTF8.GetString(e.Span))]);
        await _offers.Writer.WriteAsync(offer, cancellationToken);
        var answer = await offer.Answer.Task.WaitAsync(cancellationToken);
        if (answer is not null)
        {
            throw answer;
        }
        lock (_taken)
        {
            _taken.AddRange(offer.Events);
        }
    }

    /// <summary>The next batch offered, for the test to answer.</summary>
    public async Task<Offer> NextOfferAsync() => await _offers.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public bool HasOffer => _offers.Reader.TryPeek(out _);

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    public sealed class Offer(IReadOnlyList<string> events)
    {
        public IReadOnlyList<string> Events { get; } = events;

        internal TaskCompletionSource<EventSinkException?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Take() => Answer.SetResult(null);

        public void Fail(string why = "503 Service Unavailable") => Answer.SetResult(new EventSinkException(why));

        public void Gone() => Answer.SetResult(new EventSinkException("410 Gone", disables: true));
    }
}
