using MailCluster.Admin;
using MailCluster.Cluster.Submission;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// A submission user: the sender domains it may use in MAIL FROM and From:, its limits (null: none),
/// and the egress pool its mail leaves through (null: the default pool, or a trusted client's choice).
/// </summary>
internal sealed record SubmissionUser(string Name, IReadOnlySet<string> Domains, int? MessagesPerHour = null, int? RecipientsPerMessage = null, string? Pool = null)
{
    public bool MaySendAs(string domain) => Domains.Contains(domain.TrimEnd('.'));
}

/// <summary>
/// The users of the submission listeners, from a credentials file that holds only password hashes:
/// one user per line, <c>name:pbkdf2-sha256$…:domain1,domain2[:messages per hour[:recipients per message[:pool]]]</c>,
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

    /// <summary>An authenticated user's domains, limits and pool, from the copy its AUTH read (no file check per command).</summary>
    public SubmissionUser? Find(string name)
    {
        lock (_lock)
        {
            return _users.GetValueOrDefault(Canonical(name)).User;
        }
    }

    /// <summary>The form of a user name the session keeps after AUTH (<see cref="CredentialsFile.CanonicalName"/>).</summary>
    public static string Canonical(string name) => CredentialsFile.CanonicalName(name);

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
        var (entries, errors) = CredentialsFile.Parse(lines);
        var users = new Dictionary<string, (string, SubmissionUser)>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            users[entry.Name] = (entry.Hash, new SubmissionUser(entry.Name, entry.Domains, entry.MessagesPerHour, entry.RecipientsPerMessage, entry.Pool));
        }
        return (users, errors);
    }
}
