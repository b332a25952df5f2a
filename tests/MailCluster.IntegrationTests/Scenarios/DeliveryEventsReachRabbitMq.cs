using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;
using MailCluster.Testing.Amqp;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// An AMQP sink publishing to Debian's RabbitMQ (started by the test on loopback) with publisher
/// confirms: every event of a thousand recipients is in the queue bound to the exchange.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeliveryEventsReachRabbitMq
{
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.38.2"];

    [Fact]
    public async Task EveryEventOfAThousandRecipientsIsConfirmedIntoTheBrokersQueue()
    {
        const int messages = 200;
        const int perMessage = 5;
        await using var broker = await RabbitMqServer.StartAsync();
        await broker.BindQueueAsync("mailcluster.events", "crm");
        await using var world = await MailWorld.StartAsync(
            s_zone, ["127.0.38.2"], 0,
            "--Events:Sinks:0:Name=broker", "--Events:Sinks:0:Type=Amqp", $"--Events:Sinks:0:Url={broker.Url}", $"--Events:Sinks:0:SecretFile={broker.PasswordFile}",
            "--Events:Sinks:0:BatchSize=200");

        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 4, messages: messages, sizeBytes: 512, recipient: "bob@dest.test", recipientsPerMessage: perMessage);
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var taken = new List<(string? MessageId, string Body)>();
        var wanted = 2 * messages * perMessage;
        await Polling.UntilAsync(
            async () =>
            {
                taken.AddRange(await broker.TakeAllAsync("crm"));
                return taken.Count >= wanted;
            },
            TimeSpan.FromSeconds(120),
            () => $"{taken.Count} of {wanted} events in the queue\n{world.Context()}\n--- broker ---\n{broker.Output}");

        Assert.Equal(wanted, taken.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(messages * perMessage, taken.Count(m => m.Body.Contains("\"type\":\"Reception\"", StringComparison.Ordinal)));
        Assert.Equal(messages * perMessage, taken.Count(m => m.Body.Contains("\"type\":\"Delivery\"", StringComparison.Ordinal)));
        // The sink's cursor is saved after each confirmed batch; mailctl shows it at the dispatcher's next look.
        CommandResult? shown = null;
        await Polling.UntilAsync(
            async () => System.Text.RegularExpressions.Regex.IsMatch((shown = await world.MailctlAsync(["events"])).Output, @"broker\s+idle\s+0\s+0\s"),
            TimeSpan.FromSeconds(30),
            () => $"mailctl events never showed the sink idle with nothing left:\n{shown}");
    }
}
