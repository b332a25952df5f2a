namespace MailCluster.Dns.Transport;

/// <summary>Reads the nameserver lines of resolv.conf(5). The file is only ever read.</summary>
internal static class ResolvConf
{
    public const string DefaultPath = "/etc/resolv.conf";

    public static IReadOnlyList<string> ReadNameservers(string path = DefaultPath) =>
        File.Exists(path) ? ParseNameservers(File.ReadAllText(path)) : [];

    public static IReadOnlyList<string> ParseNameservers(string text)
    {
        var nameservers = new List<string>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Split('#', ';')[0];
            var fields = line.Split((char[])[' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);

            // resolv.conf(5): "nameserver Name-server IP address"; a scope suffix (%eth0) is dropped.
            if (fields is ["nameserver", var address, ..])
            {
                nameservers.Add(address.Split('%')[0]);
            }
        }

        return nameservers;
    }
}
