using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>A tmpfs of a few MiB mounted by the test (the tests run as root), so a spool on it really runs out of space.</summary>
public sealed class SmallFilesystem : IAsyncDisposable
{
    private readonly TempDirectory _mountPoint;

    private SmallFilesystem(TempDirectory mountPoint) => _mountPoint = mountPoint;

    public string Path => _mountPoint.Path;

    public static async Task<SmallFilesystem> MountAsync(long sizeBytes)
    {
        var mountPoint = new TempDirectory("mailcluster-tmpfs-");
        var mount = await ExternalCommand.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={sizeBytes}", "tmpfs", mountPoint.Path], TimeSpan.FromSeconds(30));
        if (mount.ExitCode != 0)
        {
            mountPoint.Dispose();
            throw new InvalidOperationException($"a tmpfs could not be mounted (the integration tests run as root): {mount}");
        }
        return new SmallFilesystem(mountPoint);
    }

    public async ValueTask DisposeAsync()
    {
        await ExternalCommand.RunAsync("umount", ["--lazy", Path], TimeSpan.FromSeconds(30));
        _mountPoint.Dispose();
    }
}
