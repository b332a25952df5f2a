using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary>
/// <c>mailctl suppress add|remove ADDRESS</c>, <c>suppress list</c> and <c>suppress import FILE</c>
/// (one address per line; blank lines and lines starting with # are skipped).
/// </summary>
public sealed class SuppressVerb : Verb
{
    private static readonly string[] s_headers = ["ADDRESS", "SINCE", "REASON"];

    public override string Name => "suppress";

    public override string Usage => "suppress add ADDRESS | suppress remove ADDRESS | suppress list | suppress import FILE";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) => command.Arguments switch
    {
        ["list"] => client.GetAsync("api/suppressions"),
        ["add", var address] => client.PostAsync($"api/suppressions/{Escape(address)}"),
        ["remove", var address] => client.DeleteAsync($"api/suppressions/{Escape(address)}"),
        ["import", var file] when File.Exists(file) => client.PostAsync("api/suppressions/import", new SuppressionImport(
            [.. File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))])),
        _ => null,
    };

    protected override string Format(AdminResponse response)
    {
        var answer = response.Read<SuppressionAnswer>();
        return answer.Action switch
        {
            "list" => TableRenderer.Render(s_headers, answer.Addresses.Select(a => (IReadOnlyList<string>)[a.Address, Text(a.Since), a.Reason])),
            "imported" => $"{answer.Changed} address(es) added to the suppression list\n",
            _ => string.Concat(answer.Addresses.Select(a => $"{a.Address}: {(answer.Changed > 0 ? answer.Action : "unchanged")}\n")),
        };
    }
}
