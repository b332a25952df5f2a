using System.Net;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class DiskFullToTheLastByteStillStartsAndWaitsForRoom
{
    [Fact]
    public async Task ASiloRestartedOnADiskWithNoByteFreeComesUpRefusingAndDeliversEachMessageOnceWhenRoomReturns()
    {
        await using var filled = await FilledSpoolWorld.StartAsync("127.0.23.2");
        var world = filled.World;
        await world.Silo.KillAsync();

        // arrange: something else takes the reserve too, to the last byte
        var filler = Path.Combine(filled.DiskPath, "filler");
        FillToTheLastByte(filler);

        // act: the silo starts on it, delivering
        await world.StartSiloAsync(filled.SpoolArguments);
        using var http = new HttpClient { BaseAddress = world.Silo.HttpAddress };
        var reason = await NotReadyReasonAsync(http);
        // Either reason is the truth: the writer's first claims already failed, or none was tried yet.
        Assert.True(
            reason.StartsWith("spool unhealthy: Spool storage is full", StringComparison.Ordinal)
            || reason.StartsWith("refusing new mail: the spool's filesystem has ", StringComparison.Ordinal),
            reason);
        await world.Silo.WaitForOutputAsync("Spool room: the spool's filesystem has ");

        // assert: once the other writer gives its space back, every message arrives exactly once
        File.Delete(filler);
        var sink = world.Sink("127.0.23.2");
        var delivered = await sink.WaitForMessagesAsync(filled.Accepted.Count, TimeSpan.FromSeconds(120), world.Context);
        Assert.Equal(filled.Accepted.Order(), delivered.Select(MailWorld.QueueIdOf).Order());
        var after = await SpoolFiller.SendWhenThereIsRoomAsync(world.Silo.SmtpPort);
        Assert.True(after.StartsWith("250", StringComparison.Ordinal), $"{after}\n{world.Context()}");
        var all = await sink.WaitForMessagesAsync(filled.Accepted.Count + 1, TimeSpan.FromSeconds(60), world.Context);
        Assert.Equal(filled.Accepted.Count + 1, all.Select(MailWorld.QueueIdOf).Distinct().Count());
        Assert.Equal(filled.Accepted.Count + 1, sink.Messages().Count);
    }

    /// <summary>/readyz's reason once the listeners are marked bound (the greeting can come a moment before).</summary>
    private static async Task<string> NotReadyReasonAsync(HttpClient http)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative));
            var reason = await ready.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            if (!reason.StartsWith("listeners not bound yet", StringComparison.Ordinal) || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                return reason;
            }
            await Task.Delay(50);
        }
    }

    private static void FillToTheLastByte(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            // Bounded by the filesystem's size: tmpfs answers ENOSPC when it is full.
            while (true)
            {
                file.Write(block);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
    }
}
