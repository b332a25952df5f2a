using MailCluster.Delivery.Egress;
using MailCluster.Delivery.MtaSts;
using MailCluster.Delivery.Retry;

namespace MailCluster.Delivery;

/// <summary>Delivery settings, bound from <c>Delivery</c> (shaping is in <c>Shaping</c>).</summary>
internal sealed class DeliveryOptions
{
    /// <summary>Whether this silo delivers at all (an ingress-only silo sets false). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Our name in EHLO, the DSN's Reporting-MTA and From. Default: the machine name.</summary>
    public string HeloName { get; set; } = System.Net.Dns.GetHostName();

    /// <summary>TCP port of MX hosts. Default 25 (RFC 5321 4.5.4); tests may point elsewhere.</summary>
    public int SmtpPort { get; set; } = 25;

    /// <summary>
    /// Comma-separated CIDR ranges that MX addresses may be in although they are loopback, private,
    /// link-local or otherwise internal. Default none: a hostile MX record cannot reach internal services.
    /// </summary>
    public string AllowedMxNetworks { get; set; } = string.Empty;

    /// <summary>Recipients a domain actor claims from the spool at once (its ready window). Default 200.</summary>
    public int ReadyWindow { get; set; } = 200;

    /// <summary>
    /// How long an idle SMTP connection stays open waiting for more mail to its domain before QUIT.
    /// Default 2 s, as Postfix's smtp_connection_cache_time_limit: reuse without hogging the peer.
    /// </summary>
    public TimeSpan ConnectionLinger { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An actor with no work for this long is deactivated. Default 30 s.</summary>
    public TimeSpan ActorIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest the scheduler sleeps before it looks at the spool again. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>TCP connect timeout per MX address. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the per-attempt JSON log goes: a file path, or "-" for standard output. Default "-".</summary>
    public string LogPath { get; set; } = "-";

    /// <summary>Sender of DSNs (the From: header; the envelope sender is always null). Default MAILER-DAEMON@HeloName.</summary>
    public string? PostmasterAddress { get; set; }

    public RetryOptions Retry { get; set; } = new();

    /// <summary>
    /// A PEM bundle of the only roots verified TLS trusts (Verify policy, MTA-STS hosts and policy
    /// fetches). Default empty: the system store.
    /// </summary>
    public string TrustedRootsFile { get; set; } = string.Empty;

    public MtaStsOptions MtaSts { get; set; } = new();

    public Outcomes.BounceOptions Dsn { get; set; } = new();

    public IEnumerable<string> Validate(string section = "Delivery")
    {
        if (string.IsNullOrWhiteSpace(HeloName))
        {
            yield return $"{section}:HeloName is empty; RFC 5321 4.1.1.1 requires a domain";
        }
        if (SmtpPort is < 1 or > 65535)
        {
            yield return $"{section}:SmtpPort is {SmtpPort}; must be a TCP port";
        }
        foreach (var network in AllowedMxNetworks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
            {
                yield return $"{section}:AllowedMxNetworks has '{network}'; expected CIDR, e.g. 127.0.0.0/8";
            }
        }
        if (ReadyWindow is < 1 or > 10_000)
        {
            yield return $"{section}:ReadyWindow is {ReadyWindow}; must be between 1 and 10000";
        }
        if (PollInterval < TimeSpan.FromMilliseconds(10) || ActorIdleTimeout < TimeSpan.FromMilliseconds(10) || ConnectTimeout < TimeSpan.FromSeconds(1))
        {
            yield return $"{section}: PollInterval and ActorIdleTimeout must be at least 10 ms, ConnectTimeout at least 1 s";
        }
        foreach (var error in Retry.Validate($"{section}:Retry").Concat(MtaSts.Validate($"{section}:MtaSts")).Concat(Dsn.Validate($"{section}:Dsn")))
        {
            yield return error;
        }
        if (TrustedRoots.Check(TrustedRootsFile, $"{section}:TrustedRootsFile") is { } roots)
        {
            yield return roots;
        }
    }
}
