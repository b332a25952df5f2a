using MailCluster.Events.Sinks;
using MailCluster.Testing.Amqp;

namespace MailCluster.Events.Tests;

/// <summary>The broker for the AMQP sink's tests: Debian's RabbitMQ on loopback, once for the class.</summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    public RabbitMqServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RabbitMqServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The AMQP sink against a real RabbitMQ broker: confirms, a broker's nacks, a blocked broker.</summary>
public sealed class AmqpSinkTests(RabbitMqFixture broker) : EventSinkConformanceTests, IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private readonly string _exchange = "events-" + Guid.NewGuid().ToString("N");
    private readonly string _queue = "received-" + Guid.NewGuid().ToString("N");
    private IEventSink _sink = null!;

    private protected override IEventSink Sink => _sink;

    private bool _blocked;

    private protected override async Task<IReadOnlyList<string>> ReceivedAsync() => [.. (await broker.Server.TakeAllAsync(_queue)).Select(m => m.Body)];

    /// <summary>A second queue that refuses everything: the broker nacks each publish routed to it.</summary>
    private protected override Task ReceiverFailsAsync() => broker.Server.BindQueueAsync(_exchange, _queue + "-full", rejectAll: true);

    private protected override Task ReceiverHangsAsync()
    {
        _blocked = true;
        return broker.Server.BlockPublishersAsync();
    }

    public async Task InitializeAsync()
    {
        await broker.Server.BindQueueAsync(_exchange, _queue);
        var options = new EventSinkOptions { Name = "amqp", Type = EventSinkType.Amqp, Url = broker.Server.Url, SecretFile = broker.Server.PasswordFile, Exchange = _exchange };
        Assert.Empty(options.Validate("Events:Sinks:0"));
        _sink = new AmqpSink(options);
    }

    [Fact]
    public async Task EachEventIsAPersistentMessageNamedByItsIdAndRoutedByItsType()
    {
        await Sink.DeliverAsync(Batch([Event("id-1", EventKind.Bounce)]), CancellationToken.None);

        var (messageId, body) = Assert.Single(await broker.Server.TakeAllAsync(_queue));
        Assert.Equal("id-1", messageId);
        Assert.Contains("\"type\":\"Bounce\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMessageNoQueueTakesIsAFailureNotASilentLoss()
    {
        await broker.Server.UnbindQueueAsync(_exchange, _queue);

        var failure = await Assert.ThrowsAsync<EventSinkException>(() => Sink.DeliverAsync(Batch([Event("lost", EventKind.Delivery)]), CancellationToken.None));

        Assert.Contains("unroutable", failure.Message, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        // The broker is shared by the class's tests: its alarm goes with the test that set it off.
        if (_blocked)
        {
            await broker.Server.UnblockPublishersAsync();
        }
    }
}
