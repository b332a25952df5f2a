using System.Net;
using MailCluster.Admin;
using MailCluster.Cluster.Submission;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>A submission user: the sender domains it may use in MAIL FROM and From:, and its limits (null: none).</summary>
internal sealed record SubmissionUser(string Name, IReadOnlySet<string> Domains, int? MessagesPerHour = null, int? RecipientsPerMessage = null)
{
    public bool MaySendAs(string domain) => Domains.Contains(domain.TrimEnd('.'));
}

/// <summary>
/// The users of the submission listeners, from a credentials file that holds only password hashes:
/// one user per line, <c>name:pbkdf2-sha256$…:domain1,domain2[:messages per hour[:recipients per message]]</c>,
/// <c>#</c> comments. The file is read again when it changed (a Kubernetes Secret is updated in
/// place), checked at each AUTH; the commands after it use the copy that AUTH read. Without a file
/// (no submission listener) there are no users.
/// </summary>
internal sealed class SubmissionUsers(string? path)
{
    // Verified against when the user is unknown, so that both answers take the same time; made at the
    // first AUTH, not at start (a hash costs as much as a check).
    private static readonly Lazy<string> s_decoy = new(() => PasswordHash.Create(Guid.NewGuid().ToString(), PasswordHash.DefaultIterations));

    private readonly Lock _lock = new();
    private DateTime _readAt = DateTime.MinValue;
    private Dictionary<string, (string Hash, SubmissionUser User)> _users = [];

    /// <summary>The user whose password this is, or null; an unknown user costs the same as a wrong password.</summary>
    public SubmissionUser? Verify(string name, string password)
    {
        var entry = Current().GetValueOrDefault(Canonical(name));
        var right = PasswordHash.Verify(password, entry.Hash ?? s_decoy.Value);
        return right && entry.User is not null ? entry.User : null;
    }

    /// <summary>An authenticated user's domains and limits, from the copy its AUTH read (no file check per command).</summary>
    public SubmissionUser? Find(string name)
    {
        lock (_lock)
        {
            return _users.GetValueOrDefault(Canonical(name)).User;
        }
    }

    /// <summary>
    /// The one form of a user name that lookups, hourly counts, lockouts and logs all use, and that
    /// the session keeps after AUTH: lower-cased by Unicode's simple mapping, so that a spelling
    /// that finds a user (U+212A KELVIN SIGN for "k") is counted as that user, never beside it.
    /// </summary>
    public static string Canonical(string name) => name.ToLowerInvariant();

    /// <summary>Why the file cannot be used, or null (start-up validation).</summary>
    public static string? Problem(string path)
    {
        if (!File.Exists(path))
        {
            return "does not exist";
        }
        var bad = Parse(File.ReadLines(path)).Errors.FirstOrDefault();
        return bad;
    }

    /// <summary>An optional positive count in field <paramref name="index"/>; empty or absent is no limit.</summary>
    private static (bool IsValid, int? Value) Limit(string[] fields, int index) =>
        index >= fields.Length || fields[index].Length == 0 ? (true, null)
        : int.TryParse(fields[index], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 ? (true, value)
        : (false, null);

    private Dictionary<string, (string Hash, SubmissionUser User)> Current()
    {
        if (path is null)
        {
            return _users;
        }
        var written = File.GetLastWriteTimeUtc(path);
        lock (_lock)
        {
            if (written != _readAt)
            {
                _users = Parse(File.ReadLines(path)).Users;
                _readAt = written;
            }
            return _users;
        }
    }

    private static (Dictionary<string, (string Hash, SubmissionUser User)> Users, List<string> Errors) Parse(IEnumerable<string> lines)
    {
        var users = new Dictionary<string, (string, SubmissionUser)>(StringComparer.Ordinal);
        var errors = new List<string>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var fields = line.Split(':');
            if (fields.Length is < 3 or > 5 || fields[0].Length == 0 || !PasswordHash.IsWellFormed(fields[1])
                || Limit(fields, 3) is { IsValid: false } || Limit(fields, 4) is { IsValid: false })
            {
                errors.Add($"line {number} is not name:pbkdf2-sha256$ITERATIONS$SALT$HASH:domain,domain[:messages per hour[:recipients per message]]");
                continue;
            }
            if (PasswordHash.IterationsOf(fields[1]) is var iterations and < PasswordHash.MinimumIterations)
            {
                errors.Add($"line {number} has a hash of {iterations} iterations; at least {PasswordHash.MinimumIterations} are required");
                continue;
            }
            var domains = fields[2].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => d.ToLowerInvariant().TrimEnd('.')).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var name = Canonical(WebUtility.UrlDecode(fields[0]));
            users[name] = (fields[1], new SubmissionUser(name, domains, Limit(fields, 3).Value, Limit(fields, 4).Value));
        }
        return (users, errors);
    }
}
