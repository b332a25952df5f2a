using System.Text;
using System.Text.Json;
using MailCluster.Events.Sinks;

namespace MailCluster.Events.Tests;

/// <summary>
/// What every sink must do (<see cref="IEventSink"/>), against a real receiver of its kind: each
/// sink's test class inherits these and says how to make its receiver take, fail or be gone.
/// </summary>
public abstract class EventSinkConformanceTests
{
    private protected abstract IEventSink Sink { get; }

    /// <summary>Every event the receiver has durably, as JSON text, in the order it took them.</summary>
    private protected abstract Task<IReadOnlyList<string>> ReceivedAsync();

    /// <summary>From now on the receiver fails every delivery (a 5xx, a broker's nack).</summary>
    private protected abstract Task ReceiverFailsAsync();

    /// <summary>From now on the receiver never answers.</summary>
    private protected abstract Task ReceiverHangsAsync();

    [Fact]
    public async Task ABatchReturnsOnlyOnceTheReceiverHasEveryEventInOrder()
    {
        var events = Enumerable.Range(0, 25).Select(i => Event($"id-{i}", EventKind.Delivery)).ToList();

        await Sink.DeliverAsync(Batch(events), CancellationToken.None);

        Assert.Equal(events.Select(e => e.Id), (await ReceivedAsync()).Select(r => DeliveryEvent.FromJson(Encoding.UTF8.GetBytes(r))!.Id));
    }

    [Fact]
    public async Task AReceiverThatFailsMakesTheDeliveryFailSoTheBatchIsOfferedAgain()
    {
        await ReceiverFailsAsync();

        var failure = await Assert.ThrowsAsync<EventSinkException>(() => Sink.DeliverAsync(Batch([Event("a", EventKind.Bounce)]), CancellationToken.None));

        Assert.False(failure.Disables);
    }

    [Fact]
    public async Task ADeliveryWithoutAnAnswerEndsWhenItsTokenIsCancelled()
    {
        await ReceiverHangsAsync();
        using var cancel = new CancellationTokenSource();

        var delivery = Sink.DeliverAsync(Batch([Event("a", EventKind.Delivery)]), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delivery);
    }

    private protected static DeliveryEvent Event(string id, EventKind kind) =>
        new(id, kind, new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), "silo-0", "Q1", "<m@client.test>", "sender@client.test", "rcpt@dest.test", Reply: "250 ok \"quoted\" \u00e9");

    private protected static EventBatch Batch(IReadOnlyList<DeliveryEvent> events) =>
        new(1, events.Count, [.. events.Select(e => (ReadOnlyMemory<byte>)e.ToJson())]);

    /// <summary>A JSON array's elements, as the text of each.</summary>
    private protected static IEnumerable<string> Elements(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.EnumerateArray().Select(e => e.GetRawText())];
    }
}
