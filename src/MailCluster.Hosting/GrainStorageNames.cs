namespace MailCluster.Hosting;

/// <summary>The grain storage every MailCluster grain names; the cluster room registers it for the configured mode.</summary>
public static class GrainStorageNames
{
    public const string Default = "mailcluster";
}
