using System.Net;
using System.Security.Authentication;

namespace MailCluster.Smtp.Server;

/// <summary>What the session knows about its client, for relay policy and trace headers.</summary>
public sealed class SmtpSessionInfo
{
    public SmtpSessionInfo(IPEndPoint remote, IPEndPoint local, string serverName)
    {
        Remote = remote;
        Local = local;
        ServerName = serverName;
    }

    public IPEndPoint Remote { get; }

    public IPEndPoint Local { get; }

    /// <summary>Our host name, used in the greeting, EHLO reply and Received.</summary>
    public string ServerName { get; }

    /// <summary>The EHLO/HELO argument, null before the client said it.</summary>
    public string? HeloName { get; internal set; }

    public bool IsExtended { get; internal set; }

    public SslProtocols? TlsProtocol { get; internal set; }

    /// <summary>A submission listener (RFC 6409): AUTH is offered after TLS, and MAIL needs it.</summary>
    public bool IsSubmission { get; init; }

    /// <summary>TLS from the first byte (RFC 8314 3.3), before the greeting.</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>The user this session authenticated as (RFC 4954), or null.</summary>
    public string? AuthenticatedUser { get; internal set; }

    /// <summary>Called once when AUTH succeeds, for the connection's owner (it lifts the per-client connection limit).</summary>
    public Action? Authenticated { get; init; }
}
