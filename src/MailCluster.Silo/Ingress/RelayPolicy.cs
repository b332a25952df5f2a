using System.Net;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// Who may relay: clients inside the trusted networks. Everyone else is refused at RCPT with 554
/// 5.7.1. Trusted clients are also exempt from the per-client connection limit, as Postfix exempts
/// <c>mynetworks</c>: the platforms this relay serves open hundreds of sessions from one address.
/// </summary>
internal sealed class RelayPolicy
{
    private readonly IReadOnlyList<IPNetwork> _trusted;

    public RelayPolicy(IReadOnlyList<IPNetwork> trusted)
    {
        _trusted = trusted;
    }

    public SmtpReply? Authorize(IPAddress client) => IsTrusted(client) ? null : SmtpReplies.RelayDenied;

    public bool IsTrusted(IPAddress client)
    {
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        foreach (var network in _trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }
}
