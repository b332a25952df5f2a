using System.Net.Sockets;
using MailCluster.Cli.Verbs;

namespace MailCluster.Cli;

/// <summary>Entry point logic, testable with any writers: finds the verb, builds the client, maps failures to exit codes.</summary>
public static class Mailctl
{
    public static readonly IReadOnlyList<Verb> Verbs =
    [
        new DomainsVerb(),
        new MessageVerb(),
        new SuspensionVerb(suspend: true),
        new SuspensionVerb(suspend: false),
        new SourcesVerb(),
        new RecipientActionVerb("retry", "scheduled for now"),
        new RecipientActionVerb("bounce", "bounced"),
        new RecipientActionVerb("delete", "deleted"),
        new ReloadShapingVerb(),
        new SilosVerb(),
        new DrainVerb(),
        new SuppressVerb(),
        new EventsVerb(),
    ];

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => RunAsync(args, Console.In, output, error);

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        var command = CommandLine.Parse(args);
        if (command?.Verb == "user")
        {
            return await UserFile.RunAsync(command, input, output, error);
        }
        var verb = command is null ? null : Verbs.FirstOrDefault(v => v.Name == command.Verb);
        if (command is null || verb is null)
        {
            await error.WriteLineAsync("usage: mailctl [--url URL] [--token TOKEN] COMMAND\n" + string.Join('\n', Verbs.Select(v => "  " + v.Usage).Append("  " + UserFile.Usage))
                + "\nURL and TOKEN default to $MAILCTL_URL (else http://127.0.0.1:8026) and $MAILCTL_TOKEN.");
            return ExitCodes.Usage;
        }
        var url = command.Option("url") ?? Environment.GetEnvironmentVariable("MAILCTL_URL") ?? "http://127.0.0.1:8026";
        var token = command.Option("token") ?? Environment.GetEnvironmentVariable("MAILCTL_TOKEN") ?? string.Empty;
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseAddress))
        {
            await error.WriteLineAsync($"mailctl: '{url}' is not a URL");
            return ExitCodes.Usage;
        }
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            return await verb.RunAsync(new AdminClient(http, token), command, output, error);
        }
        catch (Exception exception) when (exception is HttpRequestException or SocketException or TaskCanceledException)
        {
            await error.WriteLineAsync($"mailctl: cannot reach the admin API at {baseAddress}: {exception.Message}");
            return ExitCodes.Unavailable;
        }
    }
}
