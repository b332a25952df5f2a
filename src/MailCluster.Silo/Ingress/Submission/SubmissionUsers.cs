using System.Net;
using MailCluster.Admin;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>A submission user: the sender domains it may use in MAIL FROM and From:.</summary>
internal sealed record SubmissionUser(string Name, IReadOnlySet<string> Domains)
{
    public bool MaySendAs(string domain) => Domains.Contains(domain.TrimEnd('.'));
}

/// <summary>
/// The users of the submission listeners, from a credentials file that holds only password hashes:
/// one user per line, <c>name:pbkdf2-sha256$…:domain1,domain2</c>, <c>#</c> comments. The file is
/// read again when it changed (a Kubernetes Secret is updated in place), checked at each AUTH.
/// </summary>
internal sealed class SubmissionUsers(string path)
{
    // Verified against when the user is unknown, so that both answers take the same time.
    private static readonly string s_decoy = PasswordHash.Create(Guid.NewGuid().ToString(), PasswordHash.DefaultIterations);

    private readonly Lock _lock = new();
    private DateTime _readAt = DateTime.MinValue;
    private Dictionary<string, (string Hash, SubmissionUser User)> _users = [];

    /// <summary>The user whose password this is, or null; an unknown user costs the same as a wrong password.</summary>
    public SubmissionUser? Verify(string name, string password)
    {
        var entry = Current().GetValueOrDefault(name.ToLowerInvariant());
        var right = PasswordHash.Verify(password, entry.Hash ?? s_decoy);
        return right && entry.User is not null ? entry.User : null;
    }

    public SubmissionUser? Find(string name) => Current().GetValueOrDefault(name.ToLowerInvariant()).User;

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

    private Dictionary<string, (string Hash, SubmissionUser User)> Current()
    {
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
            if (fields.Length != 3 || fields[0].Length == 0 || !PasswordHash.IsWellFormed(fields[1]))
            {
                errors.Add($"line {number} is not name:pbkdf2-sha256$ITERATIONS$SALT$HASH:domain,domain");
                continue;
            }
            var domains = fields[2].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => d.ToLowerInvariant().TrimEnd('.')).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var name = WebUtility.UrlDecode(fields[0]).ToLowerInvariant();
            users[name] = (fields[1], new SubmissionUser(name, domains));
        }
        return (users, errors);
    }
}
