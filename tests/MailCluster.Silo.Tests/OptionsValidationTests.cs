using MailCluster.Silo.Ingress;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using Microsoft.Extensions.Configuration;

namespace MailCluster.Silo.Tests;

public sealed class OptionsValidationTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        Assert.Empty(new SmtpServerLimits().Validate());
        Assert.Empty(new IngressOptions().Validate());
        Assert.Empty(new SpoolOptions().Validate(new SmtpServerLimits().MaxMessageSize));
    }

    [Theory]
    [InlineData("mailcluster", true)]
    [InlineData("t0a1b2c3", true)]
    [InlineData("mail-a", false)]
    [InlineData("MailA", false)]
    [InlineData("", false)]
    [InlineData("a23456789012345678901234567890123456789012", false)]
    public void AServiceIdNamesStorageOnlyAsIs(string serviceId, bool valid)
    {
        // "mail-a" and "maila" would name one retry tier if characters were dropped: both are refused or taken whole.
        var problems = new MailCluster.Cluster.ClusterSettings { ServiceId = serviceId }.Validate().ToList();

        Assert.Equal(valid, problems.Count == 0);
        Assert.All(problems, p => Assert.Contains("Cluster:ServiceId", p));
    }

    [Fact]
    public void ClusterTimingsAreOptionsWhoseLeasesMustOutliveAMissedExchange()
    {
        Assert.Empty(new MailCluster.Cluster.ClusterTimings().Validate());
        Assert.Equal(
            [
                "Cluster:Timings:SiteLeasePeriod is 00:00:04; must be at least twice SiteExchangePeriod plus SiteCallTimeout (00:00:06)",
                "Cluster:Timings:TierReceiveBatch is 33; must be between 1 and 32",
            ],
            new MailCluster.Cluster.ClusterTimings { SiteLeasePeriod = TimeSpan.FromSeconds(4), SiteRateSlice = TimeSpan.FromSeconds(2), TierReceiveBatch = 33 }.Validate());
    }

    [Fact]
    public void AnEmptyTrustedNetworksSettingTrustsNobody()
    {
        // The chart's default: Smtp__TrustedNetworks set, and empty, must not fall back to loopback.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Smtp:TrustedNetworks"] = string.Empty })
            .Build();
        var options = configuration.GetSection("Smtp").Get<IngressOptions>()!;

        Assert.Empty(options.TrustedNetworkList());
        Assert.Empty(options.Validate());
        Assert.False(new RelayPolicy(options.TrustedNetworkList()).IsTrusted(System.Net.IPAddress.Loopback));
    }

    [Theory]
    [InlineData(0, 150L << 20, "Spool:MaxSizeBytes is 157286400; the automatic reserve (two messages of Smtp:Limits:MaxMessageSize, 104857600 bytes) must be at most half of it: raise it or set Spool:MinFreeBytes")]
    [InlineData(80L << 20, 150L << 20, "Spool:MinFreeBytes is 83886080; must be at most half of Spool:MaxSizeBytes (157286400), which keeps the same reserve")]
    [InlineData(-1, 0, "Spool:MinFreeBytes is -1; must be 0 (automatic) or a number of bytes")]
    public void ASpoolReserveThatLeavesNoRoomUnderTheCapIsRefused(long minFree, long maxSize, string message)
    {
        var options = new SpoolOptions { MinFreeBytes = minFree, MaxSizeBytes = maxSize };

        Assert.Equal([message], options.Validate(largestMessageBytes: 50L << 20));
        Assert.Empty(new SpoolOptions { MaxSizeBytes = 250L << 20 }.Validate(largestMessageBytes: 50L << 20));
    }

    [Theory]
    [InlineData(nameof(SmtpServerLimits.MaxRecipientsPerMessage), "Smtp:Limits:MaxRecipientsPerMessage is 50; RFC 5321 4.5.3.1.8 requires at least 100")]
    [InlineData(nameof(SmtpServerLimits.MaxCommandLineLength), "Smtp:Limits:MaxCommandLineLength is 100; RFC 5321 4.5.3.1.4 requires at least 512")]
    [InlineData(nameof(SmtpServerLimits.MaxLineLength), "Smtp:Limits:MaxLineLength is 100; RFC 5321 4.5.3.1.6 requires at least 1000")]
    [InlineData(nameof(SmtpServerLimits.MaxMessageSize), "Smtp:Limits:MaxMessageSize is 1000; RFC 5321 4.5.3.1.7 requires at least 65536")]
    [InlineData(nameof(SmtpServerLimits.IdleTimeout), "Smtp:Limits:IdleTimeout is 00:01:00; RFC 5321 4.5.3.2.7 requires at least 5 minutes")]
    [InlineData(nameof(SmtpServerLimits.MaxSessionDuration), "Smtp:Limits:MaxSessionDuration is 00:05:00; must be at least 00:10:00 (RFC 5321 4.5.3.2.6 allows 10 minutes for one message's data)")]
    public void LimitsBelowTheRfcFloorNameTheOptionAndTheRule(string option, string message)
    {
        var limits = new SmtpServerLimits();
        switch (option)
        {
            case nameof(SmtpServerLimits.MaxRecipientsPerMessage): limits.MaxRecipientsPerMessage = 50; break;
            case nameof(SmtpServerLimits.MaxCommandLineLength): limits.MaxCommandLineLength = 100; break;
            case nameof(SmtpServerLimits.MaxLineLength): limits.MaxLineLength = 100; break;
            case nameof(SmtpServerLimits.MaxMessageSize): limits.MaxMessageSize = 1000; break;
            case nameof(SmtpServerLimits.IdleTimeout): limits.IdleTimeout = TimeSpan.FromMinutes(1); break;
            case nameof(SmtpServerLimits.MaxSessionDuration): limits.MaxSessionDuration = TimeSpan.FromMinutes(5); break;
        }
        Assert.Equal([message], limits.Validate());
    }

    [Fact]
    public void IngressRefusesMalformedEndpointsAndNetworks()
    {
        var options = new IngressOptions { Listen = "127.0.0.1:2525, nonsense", TrustedNetworks = "10.0.0.0/8,10.0.0.0/99" };
        Assert.Equal(
            [
                "Smtp:Listen has 'nonsense'; expected address:port, e.g. 127.0.0.1:2525",
                "Smtp:TrustedNetworks has '10.0.0.0/99'; expected CIDR, e.g. 10.0.0.0/8",
            ],
            options.Validate());
    }

    [Fact]
    public void TlsNeedsBothCertificateAndKey()
    {
        var options = new IngressOptions { TlsCertificatePath = "/nonexistent/cert.pem" };
        Assert.Contains("Smtp:TlsCertificatePath and Smtp:TlsKeyPath must be set together", options.Validate());
    }

    [Fact]
    public void RelayPolicyTrustsOnlyConfiguredNetworksIncludingMappedAddresses()
    {
        var policy = new RelayPolicy(new IngressOptions { TrustedNetworks = "127.0.0.0/8,2001:db8::/32" }.TrustedNetworkList());
        Assert.Null(policy.Authorize(System.Net.IPAddress.Parse("127.0.0.9")));
        Assert.Null(policy.Authorize(System.Net.IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.Null(policy.Authorize(System.Net.IPAddress.Parse("2001:db8::25")));
        Assert.Equal(554, policy.Authorize(System.Net.IPAddress.Parse("192.0.2.1"))?.Code);
    }

    [Fact]
    public void ConnectionLimiterCountsPerClientAndReleasesSlots()
    {
        var limiter = new ConnectionLimiter(maxTotal: 3, maxPerClient: 2);
        var a = System.Net.IPAddress.Parse("192.0.2.1");
        var b = System.Net.IPAddress.Parse("192.0.2.2");
        Assert.True(limiter.TryAcquire(a, trusted: false, out var a1));
        Assert.True(limiter.TryAcquire(a, trusted: false, out var a2));
        Assert.False(limiter.TryAcquire(a, trusted: false, out _));
        Assert.True(limiter.TryAcquire(b, trusted: false, out var b1));
        Assert.False(limiter.TryAcquire(b, trusted: false, out _));
        Assert.Equal(3, limiter.Current);
        a1.Dispose();
        Assert.True(limiter.TryAcquire(b, trusted: false, out var b2));
        a2.Dispose();
        b1.Dispose();
        b2.Dispose();
        Assert.Equal(0, limiter.Current);
    }

    [Fact]
    public void ATrustedClientIsHeldToTheTotalOnlyAndItsSlotsDoNotCountForItsAddress()
    {
        var limiter = new ConnectionLimiter(maxTotal: 4, maxPerClient: 1);
        var trusted = System.Net.IPAddress.Loopback;
        var leases = new List<ConnectionLimiter.Lease>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.TryAcquire(trusted, trusted: true, out var lease));
            leases.Add(lease);
        }
        // Its exempt slots left the address's own count at zero: one counted slot still fits.
        Assert.True(limiter.TryAcquire(trusted, trusted: false, out var counted));
        Assert.False(limiter.TryAcquire(trusted, trusted: true, out _));
        leases.ForEach(l => l.Dispose());
        counted.Dispose();
        Assert.Equal(0, limiter.Current);
        Assert.True(limiter.TryAcquire(trusted, trusted: false, out var again));
        again.Dispose();
    }

    [Fact]
    public void AnAuthenticatedSessionLeavesItsClientsCountButNotTheTotal()
    {
        var limiter = new ConnectionLimiter(maxTotal: 3, maxPerClient: 1);
        var client = System.Net.IPAddress.Parse("192.0.2.9");
        Assert.True(limiter.TryAcquire(client, trusted: false, out var first));
        Assert.False(limiter.TryAcquire(client, trusted: false, out _));

        first.ExemptFromClientLimit();
        first.ExemptFromClientLimit();
        Assert.True(limiter.TryAcquire(client, trusted: false, out var second));
        Assert.False(limiter.TryAcquire(client, trusted: false, out _));
        Assert.Equal(2, limiter.Current);

        first.Dispose();
        first.Dispose();
        Assert.Equal(1, limiter.Current);
        second.Dispose();
        Assert.Equal(0, limiter.Current);
        Assert.True(limiter.TryAcquire(client, trusted: false, out var third));
        third.Dispose();
    }

    [Fact]
    public void UntrustedClientsSquattingEverySlotTheyMayTakeLeaveTheReserveToTrustedOnes()
    {
        var limiter = new ConnectionLimiter(maxTotal: 10, maxPerClient: 4, reservedTrusted: 3);
        var leases = new List<ConnectionLimiter.Lease>();
        for (var host = 1; host <= 5; host++)
        {
            for (var i = 0; i < 4; i++)
            {
                if (limiter.TryAcquire(System.Net.IPAddress.Parse($"192.0.2.{host}"), trusted: false, out var lease))
                {
                    leases.Add(lease);
                }
            }
        }
        Assert.Equal(7, leases.Count);

        // The trusted relay still gets the three reserved slots, and no more.
        var trusted = System.Net.IPAddress.Parse("10.1.1.1");
        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.TryAcquire(trusted, trusted: true, out var lease));
            leases.Add(lease);
        }
        Assert.False(limiter.TryAcquire(trusted, trusted: true, out _));

        // A free slot in the reserve is not for untrusted clients...
        leases[^1].Dispose();
        var newcomer = System.Net.IPAddress.Parse("192.0.2.99");
        Assert.False(limiter.TryAcquire(newcomer, trusted: false, out _));
        // ...but an untrusted session that authenticates leaves the shared part, and another fits.
        leases[0].ExemptFromClientLimit();
        Assert.True(limiter.TryAcquire(newcomer, trusted: false, out var after));
        leases.Add(after);
        leases.ForEach(l => l.Dispose());
        Assert.Equal(0, limiter.Current);
    }
}
