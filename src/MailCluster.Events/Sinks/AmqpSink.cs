using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace MailCluster.Events.Sinks;

/// <summary>
/// Publishes each event as a persistent message to a topic exchange of an AMQP 0-9-1 broker
/// (RabbitMQ), routing key its type, message id its event id, with publisher confirms: a batch is
/// delivered only when the broker has confirmed every message of it (a nack, an unroutable message
/// or a lost connection fails the batch, which is published again). The exchange is declared
/// (durable) if missing; consumers bind their queues to it. One connection, opened on first use and
/// again after it breaks.
/// </summary>
internal sealed class AmqpSink : IEventSink
{
    private static readonly TimeSpan s_abortTimeout = TimeSpan.FromSeconds(2);

    private readonly EventSinkOptions _options;
    private readonly ConnectionFactory _factory;
    private IConnection? _connection;
    private IChannel? _channel;

    public AmqpSink(EventSinkOptions options)
    {
        _options = options;
        var url = new Uri(options.Url);
        _factory = new ConnectionFactory
        {
            Uri = url,
            ClientProvidedName = $"mailcluster events {options.Name}",
            // The runner retries on its own schedule: no reconnecting behind its back.
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
        };
        if (options.SecretFile.Length > 0)
        {
            _factory.Password = File.ReadAllText(options.SecretFile).Trim();
        }
        if (url.Scheme == "amqps")
        {
            // Verified against the system's roots, the broker's name as in the URL.
            _factory.Ssl = new SslOption(url.Host) { Enabled = true };
        }
    }

    public async Task DeliverAsync(EventBatch batch, CancellationToken cancellationToken)
    {
        var publishing = PublishAsync(batch, cancellationToken);
        try
        {
            // The client may wait past cancellation (a blocked broker reads nothing and confirms
            // nothing): the deadline ends the wait, and the dropped connection ends the publishes.
            await publishing.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _ = publishing.ContinueWith(static t => t.Exception, TaskScheduler.Default);
            Reset();
            throw;
        }
        catch (Exception exception) when (exception is PublishException or BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException)
        {
            Reset();
            var why = exception is PublishException { IsReturn: true } ? "a message was unroutable (no queue bound to the exchange)" : exception.Message;
            throw new EventSinkException($"publishing to {_options.Exchange} at {_factory.HostName}:{_factory.Port} failed: {why}", inner: exception);
        }
    }

    /// <summary>Every event of the batch published at once; completes when the broker has confirmed them all.</summary>
    private async Task PublishAsync(EventBatch batch, CancellationToken cancellationToken)
    {
        var channel = await ChannelAsync(cancellationToken);
        var publishes = new Task[batch.Events.Count];
        for (var i = 0; i < publishes.Length; i++)
        {
            var body = batch.Events[i];
            var happened = DeliveryEvent.FromJson(body.Span);
            var properties = new BasicProperties
            {
                ContentType = "application/json",
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = happened?.Id,
                Type = happened?.Kind.ToString(),
            };
            // Confirms are tracked by the channel: each publish completes when the broker acks it.
            publishes[i] = channel.BasicPublishAsync(_options.Exchange, happened?.Kind.ToString() ?? "unknown", mandatory: true, properties, body, cancellationToken).AsTask();
        }
        await Task.WhenAll(publishes);
    }

    public ValueTask DisposeAsync()
    {
        Reset();
        return ValueTask.CompletedTask;
    }

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }
        Reset();
        _connection = await _factory.CreateConnectionAsync(cancellationToken);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await _channel.ExchangeDeclareAsync(_options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        return _channel;
    }

    /// <summary>
    /// Lets go of the connection at once and closes it in the background: after a failure, or with a
    /// blocked broker that reads nothing, closing waits for replies that may never come (RabbitMQ's
    /// client takes up to 25 s), and the next delivery must not wait for that.
    /// </summary>
    private void Reset()
    {
        var connection = _connection;
        (_channel, _connection) = (null, null);
        if (connection is not null)
        {
            _ = Task.Run(() => CloseAsync(connection));
        }
    }

    private static async Task CloseAsync(IConnection connection)
    {
        try
        {
            // The connection's channels go with it.
            await connection.AbortAsync(s_abortTimeout);
            await connection.DisposeAsync();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Already broken or gone: nothing left to close, and nobody waits for this.
        }
    }
}
