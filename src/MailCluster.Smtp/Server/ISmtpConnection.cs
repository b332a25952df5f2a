using System.IO.Pipelines;
using System.Security.Authentication;

namespace MailCluster.Smtp.Server;

/// <summary>A session's transport. After <see cref="UpgradeToTlsAsync"/>, Input and Output are the TLS pipes.</summary>
public interface ISmtpConnection
{
    PipeReader Input { get; }

    PipeWriter Output { get; }

    bool IsTlsAvailable { get; }

    /// <summary>Runs the server TLS handshake over the current pipes (RFC 3207 4) and returns the negotiated protocol.</summary>
    ValueTask<SslProtocols> UpgradeToTlsAsync(CancellationToken cancellationToken);
}
