using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MailCluster.Cluster;

/// <summary>Where membership and grain state live.</summary>
public enum ClusterMode
{
    /// <summary>One silo: localhost clustering, grain state in the local spool. No other service.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The mode's name as configuration spells it (Cluster:Mode=Single).")]
    Single,

    /// <summary>Membership and grain state in Azure Table storage (<c>Cluster:ConnectionString</c>).</summary>
    AzureStorage,
}

/// <summary>The <c>Cluster</c> section: which cluster this silo joins and how it is reached.</summary>
internal sealed partial class ClusterSettings
{
    public const string Section = "Cluster";

    /// <summary><c>Single</c> (default) or <c>AzureStorage</c>; text, so that a wrong value gets a message naming the key.</summary>
    public string Mode { get; set; } = nameof(ClusterMode.Single);

    public string ClusterId { get; set; } = "mailcluster";

    /// <summary>Durable state is keyed by it (Orleans grain state, table names), so services can share a storage account.</summary>
    public string ServiceId { get; set; } = "mailcluster";

    /// <summary>Default: <c>POD_NAME</c>, else the machine name and the silo port.</summary>
    public string? SiloName { get; set; }

    public int SiloPort { get; set; } = 11111;

    /// <summary>0: no gateway; nothing outside the silos is an Orleans client.</summary>
    public int GatewayPort { get; set; }

    /// <summary>Default: 127.0.0.1 in <c>Single</c> mode; otherwise <c>POD_IP</c>, else the first non-loopback address.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The Azure Storage account of <c>AzureStorage</c> mode; <c>UseDevelopmentStorage=true</c> is Azurite.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long a membership probe may take before it counts as missed (Orleans default 5 s).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Missed probes before a silo is suspected (Orleans default 3).</summary>
    public int MissedProbesLimit { get; set; } = 3;

    public ClusterMode ParsedMode => Enum.Parse<ClusterMode>(Mode, ignoreCase: true);

    public string ResolvedSiloName =>
        SiloName is { Length: > 0 } name ? name
        : Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod
        : $"{Environment.MachineName}-{SiloPort}";

    public IPAddress ResolvedAdvertisedAddress =>
        AdvertisedAddress is { Length: > 0 } text ? IPAddress.Parse(text)
        : ParsedMode == ClusterMode.Single ? IPAddress.Loopback
        : Environment.GetEnvironmentVariable("POD_IP") is { Length: > 0 } pod ? IPAddress.Parse(pod)
        : FirstNonLoopbackAddress() ?? IPAddress.Loopback;

    /// <summary>One message per invalid key, naming it and its value; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (!Enum.TryParse<ClusterMode>(Mode, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            yield return $"{Section}:Mode '{Mode}' is not a cluster mode; use Single or AzureStorage";
            yield break;
        }
        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            yield return $"{Section}:ClusterId is empty";
        }
        if (!ServiceIdShape().IsMatch(ServiceId ?? ""))
        {
            // It names the storage's queues, container and tables, which take lower-case letters and
            // digits; dropping other characters instead would give "mail-a" and "maila" one retry tier.
            yield return $"{Section}:ServiceId '{ServiceId}' must be 1-40 lower-case letters and digits";
        }
        if (SiloPort is < 1 or > 65535)
        {
            yield return $"{Section}:SiloPort {SiloPort} is not a TCP port (1-65535)";
        }
        if (GatewayPort is < 0 or > 65535)
        {
            yield return $"{Section}:GatewayPort {GatewayPort} is not a TCP port (0 for none, or 1-65535)";
        }
        if (AdvertisedAddress is { Length: > 0 } advertised
            && (!IPAddress.TryParse(advertised, out var address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)))
        {
            yield return $"{Section}:AdvertisedAddress '{advertised}' is not an address other silos can reach";
        }
        if (ProbeTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:ProbeTimeout {ProbeTimeout} must be positive";
        }
        if (MissedProbesLimit < 1)
        {
            yield return $"{Section}:MissedProbesLimit {MissedProbesLimit} must be at least 1";
        }
        if (mode == ClusterMode.AzureStorage && AzureStorageAccount.Problem(ConnectionString) is { } problem)
        {
            yield return $"{Section}:ConnectionString {problem}";
        }
    }

    private static IPAddress? FirstNonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    [GeneratedRegex("^[a-z0-9]{1,40}$")]
    private static partial Regex ServiceIdShape();
}
