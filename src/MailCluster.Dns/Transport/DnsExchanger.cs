using System.Net;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Transport;

/// <summary>Asks the configured nameservers in turn, with retries and the TCP fallback.</summary>
internal sealed class DnsExchanger(
    IReadOnlyList<IPEndPoint> nameservers,
    DnsOptions options,
    DnsTransport udp,
    DnsTransport tcp)
{
    public IReadOnlyList<IPEndPoint> Nameservers => nameservers;

    public async Task<DnsExchangeResult> ExchangeAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        DnsExchangeResult? last = null;
        for (var attempt = 0; attempt < options.Attempts; attempt++)
        {
            foreach (var server in nameservers)
            {
                // RFC 5452 9.2: a fresh random ID for every packet sent.
                var query = DnsQuery.Create(DnsRandom.NextId(), question, options.UdpPayloadSize);
                var response = await udp.ExchangeAsync(query, server, options.Timeout, cancellationToken);
                if (response is { IsTruncated: true })
                {
                    // RFC 7766 5: a truncated UDP answer is retried over TCP to the same server.
                    response = await tcp.ExchangeAsync(query, server, options.Timeout, cancellationToken);
                }

                last = new DnsExchangeResult(response, server);
                if (response is { ResponseCode: DnsResponseCode.NoError or DnsResponseCode.NameError })
                {
                    return last;
                }
            }
        }

        return last ?? throw new InvalidOperationException("no nameservers configured");
    }
}
