using System.Globalization;
using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary>
/// <c>mailctl events</c>: the asked silo's delivery-event sinks, each with its state, what it has
/// not taken (events, bytes, the age of the oldest), its rate over the last minute, and its last error.
/// </summary>
public sealed class EventsVerb : Verb
{
    private static readonly string[] s_headers = ["SINK", "STATE", "BACKLOG", "BYTES", "LAG", "DELIVERED", "PER SECOND", "LAST ERROR"];

    public override string Name => "events";

    public override string Usage => "events";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments is [] ? client.GetAsync("api/events") : null;

    protected override string Format(AdminResponse response)
    {
        var sinks = response.Read<List<EventSinkView>>();
        if (sinks.Count == 0)
        {
            return "No event sinks are configured (Events:Sinks).\n";
        }
        return TableRenderer.Render(s_headers, sinks.Select(s => (IReadOnlyList<string>)
        [
            Text(s.Name), Text(s.State), Text(s.BacklogEvents), Text(s.BacklogBytes), $"{s.Lag.TotalSeconds:0.#} s", Text(s.Delivered),
            s.PerSecond.ToString("0.#", CultureInfo.InvariantCulture),
            s.LastError is { } error ? $"{s.LastErrorAt:yyyy-MM-dd HH:mm:ss}Z {Text(error)}" : "-",
        ]));
    }
}
