using System.Text.Json;

namespace MailCluster.Cli.Verbs;

/// <summary>One mailctl command: its name, usage line and what it does with the admin API.</summary>
public abstract class Verb
{
    public abstract string Name { get; }

    public abstract string Usage { get; }

    /// <summary>Runs the command, writing results to <paramref name="output"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(AdminClient client, CommandLine command, TextWriter output, TextWriter error)
    {
        var call = CallAsync(client, command);
        if (call is null)
        {
            await error.WriteLineAsync($"usage: mailctl {Usage}");
            return ExitCodes.Usage;
        }
        var response = await call;
        if (!response.IsSuccess)
        {
            await error.WriteLineAsync($"mailctl {Name}: {response.Error}");
            return response.ExitCode;
        }
        await output.WriteAsync(Format(response.Body));
        return ExitCodes.Ok;
    }

    /// <summary>The admin API call for the command line, or null when the arguments do not fit the usage.</summary>
    protected abstract Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command);

    protected abstract string Format(JsonElement body);

    protected static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.Null => "-",
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            _ => value.GetRawText(),
        } : "-";

    protected static string Escape(string segment) => Uri.EscapeDataString(segment);
}
