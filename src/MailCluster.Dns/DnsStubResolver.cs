using System.Diagnostics;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Transport;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns;

/// <summary>Turns nameserver answers into lookup outcomes, following CNAME chains (RFC 1034 3.6.2).</summary>
internal sealed class DnsStubResolver(DnsExchanger exchanger, DnsOptions options, DnsMetrics metrics, TimeProvider timeProvider) : IDnsResolver
{
    public async ValueTask<DnsLookupResult> LookupAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var result = DnsName.Validate(question.Name) is { } invalid
            ? DnsLookupResult.Failure(DnsLookupStatus.NameError, invalid)
            : await ResolveAsync(question, cancellationToken);
        metrics.LookupCompleted(question.Type, result.Status, timeProvider.GetElapsedTime(started));
        return result;
    }

    private async Task<DnsLookupResult> ResolveAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        var chain = new CnameChain(question, options.MaxCnameDepth);
        while (true)
        {
            var exchange = await exchanger.ExchangeAsync(chain.Current, cancellationToken);
            if (exchange.Response is not { } response)
            {
                return DnsLookupResult.Failure(DnsLookupStatus.Timeout,
                    $"no answer for {chain.Current} from {string.Join(", ", exchanger.Nameservers)} within {options.Timeout.TotalSeconds:0.###}s x {options.Attempts} attempts");
            }

            switch (response.ResponseCode)
            {
                case DnsResponseCode.NoError:
                    break;
                case DnsResponseCode.NameError:
                    // RFC 6604 2.1: the RCODE describes the last name of the chain.
                    return Negative(DnsLookupStatus.NameError, response, $"{chain.Current.Name} does not exist (NXDOMAIN from {exchange.Server})");
                case DnsResponseCode.Refused:
                    return DnsLookupResult.Failure(DnsLookupStatus.Refused, $"{exchange.Server} refused the query for {chain.Current}");
                default:
                    return DnsLookupResult.Failure(DnsLookupStatus.ServerFailure, $"{exchange.Server} answered {response.ResponseCode} for {chain.Current}");
            }

            var followed = chain.FollowWithin(response.Answers);
            if (followed is not null)
            {
                return DnsLookupResult.Failure(DnsLookupStatus.CnameError, followed);
            }

            var records = response.Answers.Where(r => r.Type == question.Type && r.Name == chain.Current.Name).ToList();
            if (records.Count > 0)
            {
                return new DnsLookupResult(DnsLookupStatus.Success, records, chain.Ttl(records), $"{records.Count} {question.Type} record(s) for {question.Name}");
            }

            // A chain that ends without data and without an SOA was not chased by the server: ask
            // for the new name ourselves. Otherwise the answer is authoritative NODATA.
            if (!chain.MovedInLastResponse || response.Soa is not null)
            {
                return Negative(DnsLookupStatus.NoData, response, $"{chain.Current.Name} has no {question.Type.ToString().ToUpperInvariant()} records");
            }
        }
    }

    // RFC 2308 5: a negative answer is cached for min(SOA TTL, SOA MINIMUM); without an SOA it is not cached.
    private static DnsLookupResult Negative(DnsLookupStatus status, DnsMessage response, string detail) =>
        new(status, [], response.Soa is { } soa ? TimeSpan.FromSeconds(soa.NegativeTtl) : null, detail);
}
