using System.Net;

namespace MailCluster.Silo.Http.Admin;

/// <summary>The admin API, bound from <c>Admin</c>: its own listener, and a bearer token every request must carry.</summary>
internal sealed class AdminOptions
{
    /// <summary>address:port of the admin listener. Default <c>127.0.0.1:8026</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:8026";

    /// <summary>The bearer token (<c>Authorization: Bearer …</c>). Empty (the default) disables the admin API.</summary>
    public string Token { get; set; } = string.Empty;

    public bool Enabled => Token.Length > 0;

    public IPEndPoint ListenEndPoint() => IPEndPoint.Parse(Listen);

    public IEnumerable<string> Validate(string section = "Admin")
    {
        if (!IPEndPoint.TryParse(Listen, out var parsed) || parsed.Port == 0)
        {
            yield return $"{section}:Listen is '{Listen}'; expected one address:port, e.g. 127.0.0.1:8026";
        }
        if (Enabled && Token.Length < 16)
        {
            yield return $"{section}:Token has {Token.Length} characters; use at least 16 (or none to disable the admin API)";
        }
    }
}
