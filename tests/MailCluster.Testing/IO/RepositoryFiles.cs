using System.Runtime.CompilerServices;

namespace MailCluster.Testing.IO;

/// <summary>Files of the repository (docs, deploy), found from this source file's own place in it.</summary>
public static class RepositoryFiles
{
    public static string Path(string relative) => System.IO.Path.GetFullPath(System.IO.Path.Combine(Root(), relative));

    private static string Root([CallerFilePath] string thisFile = "") =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(thisFile)!, "..", "..", "..");
}
