namespace MailCluster.Cli;

/// <summary>A parsed command line: the verb, its positional arguments and its --options.</summary>
public sealed record CommandLine(string Verb, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Options)
{
    public string? Option(string name) => Options.GetValueOrDefault(name);

    /// <summary>Parses <c>verb [args] [--name value]…</c>; options may come anywhere. Null when there is no verb or an option lacks its value.</summary>
    public static CommandLine? Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var name = args[i][2..];
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    options[name[..eq]] = name[(eq + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    options[name] = args[++i];
                }
                else
                {
                    return null;
                }
            }
            else
            {
                positional.Add(args[i]);
            }
        }
        return positional.Count == 0 ? null : new CommandLine(positional[0], positional.Skip(1).ToList(), options);
    }
}
