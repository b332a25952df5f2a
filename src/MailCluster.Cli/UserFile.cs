using MailCluster.Admin;

namespace MailCluster.Cli;

/// <summary>
/// <c>mailctl user add NAME DOMAIN[,DOMAIN…] --file F</c> (the password is read from standard
/// input; the limits and the egress pool are optional), <c>user remove NAME --file F</c> and
/// <c>user list --file F</c>: edits the submission credentials file, which holds only password
/// hashes. Where the file cannot be written (a Kubernetes Secret is mounted read-only), <c>add</c>
/// prints the line to put into the Secret.
/// Local: no admin API call; the silos read the file again when it changes.
/// </summary>
public static class UserFile
{
    public const string Usage = "user add NAME DOMAIN[,DOMAIN...] --file F [--messages-per-hour N] [--recipients-per-message N] [--pool NAME] (password on stdin) | user remove NAME --file F | user list --file F";

    public static async Task<int> RunAsync(CommandLine command, TextReader input, TextWriter output, TextWriter error)
    {
        if (command.Option("file") is not { } path || command.Arguments.Count == 0)
        {
            return await UsageAsync(error);
        }
        var lines = File.Exists(path) ? [.. await File.ReadAllLinesAsync(path)] : new List<string>();
        switch (command.Arguments)
        {
            case ["list"]:
                var (entries, errors) = CredentialsFile.Parse(lines);
                foreach (var user in entries)
                {
                    var pool = user.Pool is null ? string.Empty : $"  pool {user.Pool}";
                    await output.WriteLineAsync($"{user.Name}  {string.Join(',', user.Domains.Order(StringComparer.Ordinal))}{pool}");
                }
                foreach (var problem in errors)
                {
                    await error.WriteLineAsync($"mailctl user list: {path}: {problem}");
                }
                return ExitCodes.Ok;
            case ["add", var name, var domains] when IsName(name):
                if (command.Option("pool") is { } named && !EgressName.IsValid(named))
                {
                    await error.WriteLineAsync($"mailctl user add: --pool '{named}' is not a pool name: {EgressName.Rule}");
                    return ExitCodes.Usage;
                }
                var password = (await input.ReadLineAsync())?.TrimEnd('\r');
                if (string.IsNullOrEmpty(password))
                {
                    await error.WriteLineAsync("mailctl user add: give the password on standard input");
                    return ExitCodes.Usage;
                }
                var entry = $"{name}:{PasswordHash.Create(password)}:{domains}{OptionalFields(command)}";
                return await WriteAsync(path, [.. lines.Where(l => !Names(l, name)), entry], output, error, entry);
            case ["remove", var name]:
                if (!lines.Exists(l => Names(l, name)))
                {
                    await error.WriteLineAsync($"mailctl user remove: {name} is not in {path}");
                    return ExitCodes.NotFound;
                }
                return await WriteAsync(path, [.. lines.Where(l => !Names(l, name))], output, error, null);
            default:
                return await UsageAsync(error);
        }
    }

    private static async Task<int> WriteAsync(string path, List<string> lines, TextWriter output, TextWriter error, string? added)
    {
        try
        {
            // Written beside and moved into place: a silo never reads half a file. The temporary
            // file has an unpredictable name and is created exclusively, readable by its owner only:
            // nobody can plant a link there in advance or read the hashes while it exists.
            var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            try
            {
                await using (var writer = new StreamWriter(temporary, options))
                {
                    foreach (var line in lines)
                    {
                        await writer.WriteLineAsync(line);
                    }
                }
                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
            await output.WriteLineAsync($"{path}: {lines.Count(IsUser)} user(s)");
            return ExitCodes.Ok;
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException && added is not null)
        {
            await error.WriteLineAsync($"mailctl user: {path} cannot be written ({exception.Message}); put this line into it (e.g. the Secret):");
            await output.WriteLineAsync(added);
            return ExitCodes.Ok;
        }
    }

    /// <summary>The fields after the domains (<see cref="CredentialsFile.Format"/>): the limits, then the pool; empty ones at the end are left out.</summary>
    private static string OptionalFields(CommandLine command)
    {
        string?[] fields = [command.Option("messages-per-hour"), command.Option("recipients-per-message"), command.Option("pool")];
        var last = Array.FindLastIndex(fields, f => !string.IsNullOrEmpty(f));
        return string.Concat(fields.Take(last + 1).Select(f => ":" + f));
    }

    private static bool IsUser(string line) => CredentialsFile.IsUserLine(line);

    /// <summary>Whether the line is the user <paramref name="name"/>'s, compared as the silo compares names.</summary>
    private static bool Names(string line, string name) => CredentialsFile.NameOf(line) == CredentialsFile.CanonicalName(name);

    private static bool IsName(string name) => name.Length > 0 && !name.Any(c => c is ':' || char.IsWhiteSpace(c) || char.IsControl(c));

    private static async Task<int> UsageAsync(TextWriter error)
    {
        await error.WriteLineAsync("usage: mailctl " + Usage);
        return ExitCodes.Usage;
    }
}
