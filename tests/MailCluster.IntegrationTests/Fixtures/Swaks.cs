using System.Text.RegularExpressions;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>swaks as a sending client; every run is bounded.</summary>
public static partial class Swaks
{
    public static Task<CommandResult> SendAsync(string server, string from, string to, params string[] options) =>
        ExternalCommand.RunAsync("swaks", ["--server", server, "--from", from, "--to", to, "--timeout", "20", .. options], TimeSpan.FromSeconds(60));

    /// <summary>The queue id from our final reply, "250 2.0.0 Ok: queued as ID".</summary>
    public static string QueueId(CommandResult result)
    {
        var match = QueuedAs().Match(result.Output);
        Assert.True(match.Success, $"no 'queued as' reply in {result}");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"<[-~]\s+250 2\.0\.0 Ok: queued as ([0-9A-Z]+)")]
    private static partial Regex QueuedAs();
}
