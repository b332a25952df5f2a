namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>Where the built silo lives, found from this test assembly's own output folder.</summary>
public static class RepositoryLayout
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the same configuration this test assembly was built in.</summary>
    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string SiloDll => Path.Combine(Root, "src", "MailCluster.Silo", "bin", Configuration, "net10.0", "MailCluster.Silo.dll");

    public static string MailctlDll => Path.Combine(Root, "src", "MailCluster.Cli", "bin", Configuration, "net10.0", "mailctl.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Cluster.sln not found above {AppContext.BaseDirectory}");
    }
}
