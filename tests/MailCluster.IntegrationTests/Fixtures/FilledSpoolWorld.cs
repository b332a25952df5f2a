namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A world whose silo's spool sits on a 16 MiB tmpfs and was filled, accept-only, until it answered
/// 452 4.3.1: a 4 MiB reserve and 1 MiB messages at most, so the silo is ready only while one still
/// fits above the reserve.
/// </summary>
public sealed class FilledSpoolWorld : IAsyncDisposable
{
    private readonly SmallFilesystem _disk;

    private FilledSpoolWorld(SmallFilesystem disk, MailWorld world, string[] spoolArguments, List<string> accepted)
    {
        _disk = disk;
        World = world;
        SpoolArguments = spoolArguments;
        Accepted = accepted;
    }

    public MailWorld World { get; }

    /// <summary>The tmpfs the spool is in (a directory below it), for tests that fill it further.</summary>
    public string DiskPath => _disk.Path;

    /// <summary>The spool's settings, for restarting the silo on it.</summary>
    public string[] SpoolArguments { get; }

    /// <summary>Queue ids of the messages the silo took before it refused.</summary>
    public List<string> Accepted { get; }

    /// <summary>Mounts the tmpfs, starts the world with <paramref name="sinkHost"/> as dest.test's MX and fills the spool.</summary>
    public static async Task<FilledSpoolWorld> StartAsync(string sinkHost)
    {
        var disk = await SmallFilesystem.MountAsync(16 * 1024 * 1024);
        MailWorld? world = null;
        try
        {
            string[] spoolArguments = [$"--Spool:Path={Path.Combine(disk.Path, "spool")}", "--Spool:MinFreeBytes=4194304", "--Smtp:Limits:MaxMessageSize=1048576"];
            world = await MailWorld.StartAsync(
                ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{sinkHost}"],
                [sinkHost],
                0,
                [.. spoolArguments, "--Delivery:Enabled=false"]);
            var accepted = await SpoolFiller.FillUntilRefusedAsync(world.Silo.SmtpPort);
            return new FilledSpoolWorld(disk, world, spoolArguments, accepted);
        }
        catch
        {
            // Nobody owns them yet: the processes stop and the tmpfs is unmounted here.
            if (world is not null)
            {
                await world.DisposeAsync();
            }
            await disk.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await World.DisposeAsync();
        }
        finally
        {
            await _disk.DisposeAsync();
        }
    }
}
