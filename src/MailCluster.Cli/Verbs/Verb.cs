using System.Globalization;
using System.Text.Json;
using MailCluster.Admin;

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
        if (response.ApiVersion is { } version && version != AdminApi.Version)
        {
            await error.WriteLineAsync($"mailctl {Name}: the silo speaks admin API version {version}; this mailctl speaks {AdminApi.Version}");
            return ExitCodes.ServerError;
        }
        if (!response.IsSuccess)
        {
            await error.WriteLineAsync($"mailctl {Name}: {response.Error}");
            return response.ExitCode;
        }
        string text;
        try
        {
            text = Format(response);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            await error.WriteLineAsync($"mailctl {Name}: the admin API answered something this mailctl cannot read: {exception.Message}");
            return ExitCodes.ServerError;
        }
        await output.WriteAsync(text);
        return ExitCodes.Ok;
    }

    /// <summary>The admin API call for the command line, or null when the arguments do not fit the usage.</summary>
    protected abstract Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command);

    /// <summary>The successful answer as text for a person; the body is read as the contract's record.</summary>
    protected abstract string Format(AdminResponse response);

    protected static string Text(object? value) => value switch
    {
        null => "-",
        bool flag => flag ? "yes" : "no",
        // As the admin API writes it (System.Text.Json's ISO 8601): no trailing zeros in the fraction.
        DateTimeOffset time => time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        // A duration to the second: what is left of a pause.
        TimeSpan span => span.ToString(span >= TimeSpan.FromDays(1) ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "-",
    };

    protected static string Escape(string segment) => Uri.EscapeDataString(segment);
}
