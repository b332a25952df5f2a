using System.Net;

namespace MailCluster.Silo.Ingress;

/// <summary>SMTP ingress settings, bound from <c>Smtp</c> (limits of the protocol itself are in <c>Smtp:Limits</c>).</summary>
internal sealed class IngressOptions
{
    /// <summary>Comma-separated listen endpoints. Default <c>127.0.0.1:2525</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:2525";

    /// <summary>Our host name in the greeting, EHLO and Received. Default: the machine name.</summary>
    public string ServerName { get; set; } = System.Net.Dns.GetHostName();

    /// <summary>Comma-separated CIDR networks whose clients may relay. Default loopback only.</summary>
    public string TrustedNetworks { get; set; } = "127.0.0.0/8,::1/128";

    /// <summary>Concurrent SMTP connections in total; beyond it new clients get 421 4.7.0. Default 1000.</summary>
    public int MaxConnections { get; set; } = 1000;

    /// <summary>Concurrent SMTP connections per client address; beyond it 421 4.7.0. Default 100.</summary>
    public int MaxConnectionsPerClient { get; set; } = 100;

    /// <summary>
    /// Slots of <see cref="MaxConnections"/> only clients in <see cref="TrustedNetworks"/> may take,
    /// so untrusted clients holding idle sessions cannot lock the trusted senders out. Default 100.
    /// </summary>
    public int ReservedTrustedConnections { get; set; } = 100;

    /// <summary>
    /// TLS handshakes made at once only to tell an implicit-TLS client 421 (refused or draining);
    /// beyond it such connections are closed without one. Default 32.
    /// </summary>
    public int MaxRefusalHandshakes { get; set; } = 32;

    /// <summary>How long a handshake made only to send 421 may take. Default 5 s.</summary>
    public TimeSpan RefusalHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On shutdown (SIGTERM), how long sessions inside a transaction may take to finish it before
    /// the process exits anyway; idle sessions get 421 at once. Default 30 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Comma-separated submission endpoints (RFC 6409, port 587): STARTTLS, then AUTH, then mail. Default none.</summary>
    public string SubmissionListen { get; set; } = string.Empty;

    /// <summary>Comma-separated submission endpoints with implicit TLS (RFC 8314, port 465). Default none.</summary>
    public string ImplicitTlsListen { get; set; } = string.Empty;

    /// <summary>The submission users: name, password hash and sender domains per line (see <c>SubmissionUsers</c>).</summary>
    public string? CredentialsFile { get; set; }

    /// <summary>Failed AUTH from one address (IPv6: its /64) before it gets 421 for <see cref="AuthBlockPeriod"/>; each failure waits a second longer.</summary>
    public int MaxAuthFailures { get; set; } = 5;

    /// <summary>Failed AUTH for one user name, from anywhere, before it gets 454 4.7.0 for <see cref="AuthBlockPeriod"/> (known and unknown names alike). Default 10.</summary>
    public int MaxAuthFailuresPerUser { get; set; } = 10;

    /// <summary>Password checks (PBKDF2, about 0.2 CPU-seconds each) running at once; beyond it AUTH gets 454 4.7.0. Default: twice the processor count.</summary>
    public int MaxConcurrentAuthChecks { get; set; } = 2 * Environment.ProcessorCount;

    public TimeSpan AuthBlockPeriod { get; set; } = TimeSpan.FromMinutes(10);

    public bool SubmissionEnabled => Split(SubmissionListen).Length > 0 || Split(ImplicitTlsListen).Length > 0;

    public IReadOnlyList<IPEndPoint> SubmissionEndPoints() => Split(SubmissionListen).Select(IPEndPoint.Parse).ToArray();

    public IReadOnlyList<IPEndPoint> ImplicitTlsEndPoints() => Split(ImplicitTlsListen).Select(IPEndPoint.Parse).ToArray();

    /// <summary>PEM certificate for STARTTLS; STARTTLS is offered only when set.</summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>PEM private key for <see cref="TlsCertificatePath"/>.</summary>
    public string? TlsKeyPath { get; set; }

    public IReadOnlyList<IPEndPoint> ListenEndPoints() =>
        Split(Listen).Select(IPEndPoint.Parse).ToArray();

    public IReadOnlyList<IPNetwork> TrustedNetworkList() =>
        Split(TrustedNetworks).Select(IPNetwork.Parse).ToArray();

    public IEnumerable<string> Validate(string section = "Smtp")
    {
        foreach (var endpoint in Split(Listen))
        {
            if (!IPEndPoint.TryParse(endpoint, out var parsed) || parsed.Port == 0)
            {
                yield return $"{section}:Listen has '{endpoint}'; expected address:port, e.g. 127.0.0.1:2525";
            }
        }
        foreach (var (key, value) in new[] { ("SubmissionListen", SubmissionListen), ("ImplicitTlsListen", ImplicitTlsListen) })
        {
            foreach (var endpoint in Split(value))
            {
                if (!IPEndPoint.TryParse(endpoint, out var parsed) || parsed.Port == 0)
                {
                    yield return $"{section}:{key} has '{endpoint}'; expected address:port, e.g. 0.0.0.0:2587";
                }
            }
        }
        if (SubmissionEnabled)
        {
            if (TlsCertificatePath is null)
            {
                yield return $"{section}:SubmissionListen and {section}:ImplicitTlsListen need {section}:TlsCertificatePath and {section}:TlsKeyPath: credentials travel over TLS only";
            }
            if (string.IsNullOrWhiteSpace(CredentialsFile))
            {
                yield return $"{section}:CredentialsFile is required with submission listeners";
            }
            else if (Submission.SubmissionUsers.Problem(CredentialsFile) is { } problem)
            {
                yield return $"{section}:CredentialsFile '{CredentialsFile}' {problem}";
            }
            if (MaxAuthFailures < 1)
            {
                yield return $"{section}:MaxAuthFailures is {MaxAuthFailures}; must be at least 1";
            }
            if (MaxAuthFailuresPerUser < 1)
            {
                yield return $"{section}:MaxAuthFailuresPerUser is {MaxAuthFailuresPerUser}; must be at least 1";
            }
            if (MaxConcurrentAuthChecks < 1)
            {
                yield return $"{section}:MaxConcurrentAuthChecks is {MaxConcurrentAuthChecks}; must be at least 1";
            }
        }
        foreach (var network in Split(TrustedNetworks))
        {
            if (!IPNetwork.TryParse(network, out _))
            {
                yield return $"{section}:TrustedNetworks has '{network}'; expected CIDR, e.g. 10.0.0.0/8";
            }
        }
        if (string.IsNullOrWhiteSpace(ServerName) || ServerName.Contains(' '))
        {
            yield return $"{section}:ServerName is '{ServerName}'; must be a host name";
        }
        if (MaxConnections < 1)
        {
            yield return $"{section}:MaxConnections is {MaxConnections}; must be at least 1";
        }
        if (ReservedTrustedConnections < 0 || ReservedTrustedConnections >= MaxConnections)
        {
            yield return $"{section}:ReservedTrustedConnections is {ReservedTrustedConnections}; must be between 0 and MaxConnections ({MaxConnections}) - 1";
        }
        if (MaxRefusalHandshakes < 0)
        {
            yield return $"{section}:MaxRefusalHandshakes is {MaxRefusalHandshakes}; must not be negative";
        }
        if (RefusalHandshakeTimeout < TimeSpan.FromSeconds(1) || RefusalHandshakeTimeout > TimeSpan.FromMinutes(1))
        {
            yield return $"{section}:RefusalHandshakeTimeout is {RefusalHandshakeTimeout}; must be between 1 second and 1 minute";
        }
        if (MaxConnectionsPerClient < 1 || MaxConnectionsPerClient > MaxConnections)
        {
            yield return $"{section}:MaxConnectionsPerClient is {MaxConnectionsPerClient}; must be between 1 and MaxConnections ({MaxConnections})";
        }
        if ((TlsCertificatePath is null) != (TlsKeyPath is null))
        {
            yield return $"{section}:TlsCertificatePath and {section}:TlsKeyPath must be set together";
        }
        foreach (var file in new[] { TlsCertificatePath, TlsKeyPath })
        {
            if (file is not null && !File.Exists(file))
            {
                yield return $"{section}: TLS file '{file}' does not exist";
            }
        }
    }

    private static string[] Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
