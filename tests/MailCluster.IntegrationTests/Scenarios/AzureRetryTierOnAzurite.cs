using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.RetryTier.AzureStorage;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;
using MailCluster.Testing.RetryTier;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// The retry tier on Azure Storage meets the tier conformance suite on Azurite, and keeps its
/// promises under the storage faults only Azure has: a blob gone or unreachable while queues
/// answer, and a reply lost after the request was carried out.
/// </summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class AzureRetryTierOnAzurite(AzuriteForClass storage) : RetryTierConformance, IClassFixture<AzuriteForClass>, IDisposable
{
    private readonly TestMeterFactory _meters = new();

    protected override IRetryTier Tier(string service, int partitions = 4) => Tier(service, storage.Azurite.ConnectionString, new RetryTierOptions { Partitions = partitions });

    [Fact]
    public async Task AnEntryWhoseBlobIsGoneIsDeadLetteredAndItsBatchMatesStillCome()
    {
        var service = NewService();
        var tier = Tier(service);
        var big = Entry("batch.test", contentBytes: 50 * 1024);
        await tier.AddAsync(big, Now, default);
        await tier.AddAsync(Entry("batch.test"), Now, default);
        await tier.AddAsync(Entry("batch.test"), Now, default);
        await new BlobContainerClient(storage.Azurite.ConnectionString, AzureRetryTier.QueueName(service)).DeleteBlobAsync($"entries/{big.Id}");

        var received = await ReceiveAllAsync(tier, 2);

        Assert.Equal(2, received.Count);
        Assert.DoesNotContain(received, r => r.Entry.Id == big.Id);
        var deadLetters = await DeadLetterQueue(service).ReceiveMessagesAsync(32);
        Assert.Contains("undecodable", Assert.Single(deadLetters.Value).Body.ToString());
    }

    [Fact]
    public async Task ABlobServiceOutageStrikesNoEntryTowardPoison()
    {
        var service = NewService();
        var tier = Tier(service);
        var big = Entry("outage.test", contentBytes: 50 * 1024);
        await tier.AddAsync(big, Now, default);
        await tier.AddAsync(Entry("outage.test"), Now, default);
        // The same account with its blob endpoint on a port nothing listens on: queues answer, blobs do not.
        var blobless = Tier(service, WithDeadBlobEndpoint(storage.Azurite.ConnectionString), new RetryTierOptions { HoldInterval = TimeSpan.FromSeconds(1) });

        var inline = Assert.Single(await ReceiveAllAsync(blobless, 1));
        Assert.NotEqual(big.Id, inline.Entry.Id);

        // Put back unread, with its receive recorded: the next holder sees no unrecorded receive.
        var again = Assert.Single(await ReceiveAllAsync(tier, 1));
        Assert.Equal(big.Id, again.Entry.Id);
        Assert.Equal(2, again.DequeueCount);
        Assert.Equal(0, again.UnrecordedReceives);
    }

    [Fact]
    public async Task ADeleteWhoseReplyWasLostIsDone()
    {
        var service = NewService();
        var lost = new LostReplies(m => m.Request.Method == RequestMethod.Delete && m.Request.Uri.Path.Contains("/messages/", StringComparison.Ordinal));
        var tier = Tier(service, storage.Azurite.ConnectionString, transport: lost);
        await tier.AddAsync(Entry("delete.test"), Now, default);
        var received = Assert.Single(await ReceiveAllAsync(tier, 1));

        Assert.True(await tier.DeleteAsync(received, default));
        Assert.Equal(1, lost.Lost);
    }

    [Fact]
    public async Task ARewriteWhoseReplyWasLostIsUnknownNotLost()
    {
        var service = NewService();
        var lost = new LostReplies(m => m.Request.Method == RequestMethod.Put && m.Request.Uri.Query.Contains("popreceipt", StringComparison.OrdinalIgnoreCase));
        var tier = Tier(service, storage.Azurite.ConnectionString, transport: lost);
        await tier.AddAsync(Entry("rewrite.test"), Now, default);
        var received = Assert.Single(await ReceiveAllAsync(tier, 1));

        await Assert.ThrowsAsync<RetryTierOutcomeUnknownException>(() =>
            tier.RescheduleAsync(received, received.Entry with { Attempts = 2, Receives = 1 }, Now, default));
        Assert.Equal(1, lost.Lost);
        // The first request landed: the entry is rewritten.
        Assert.Equal(2, Assert.Single(await ReceiveAllAsync(tier, 1)).Entry.Attempts);
    }

    public void Dispose() => _meters.Dispose();

    private static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    private AzureRetryTier Tier(string service, string connectionString, RetryTierOptions? options = null, HttpPipelinePolicy? transport = null) =>
        new(connectionString, service, options ?? new RetryTierOptions { Partitions = 4 }, new RetryTierMetrics(_meters), TimeProvider.System, transport);

    private QueueClient DeadLetterQueue(string service) =>
        new(storage.Azurite.ConnectionString, $"{AzureRetryTier.QueueName(service)}-dead", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private static string WithDeadBlobEndpoint(string connectionString) =>
        string.Join(';', connectionString.Split(';').Select(part => part.StartsWith("BlobEndpoint=", StringComparison.Ordinal)
            ? $"BlobEndpoint=http://127.0.0.1:{LoopbackPorts.Next()}/devstoreaccount1"
            : part));
}
