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
}
