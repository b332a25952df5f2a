using System.Text;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>dkimpy, an independent DKIM implementation, verifying messages as a sink received them, with the keys the world's dnsmasq publishes.</summary>
public static class Dkimpy
{
    /// <summary>Writes the message's octets to <paramref name="directory"/> for the verifier; the file's path.</summary>
    public static string Write(string directory, SinkMessage message, string? name = null)
    {
        var path = Path.Combine(directory, $"{name ?? message.MailFrom.Replace('@', '_')}.eml");
        // The sink keeps the octets as latin-1 text: back to the very bytes received.
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(message.Content));
        return path;
    }

    /// <summary>Verifies each file; every signature prints a line "FILE: pass d=... s=..." (or fail), and the exit code is 0 only when all pass.</summary>
    public static Task<CommandResult> VerifyAsync(MailWorld world, IEnumerable<string> files) =>
        ExternalCommand.RunAsync(
            "/usr/bin/python3",
            [Path.Combine(AppContext.BaseDirectory, "Sinks", "dkim_verify.py"), "--dns", world.Dns.Address, .. files],
            TimeSpan.FromSeconds(60));
}
