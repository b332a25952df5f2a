using MailCluster.Delivery.MtaSts;
using MailCluster.Testing.IO;

namespace MailCluster.Delivery.Tests.MtaSts;

public sealed class TrustedRootsOptionsTests
{
    [Fact]
    public void AMissingOrEmptyRootsFileAndABadFetchTimeoutAreRefusedByName()
    {
        using var directory = new TempDirectory();
        var empty = Path.Combine(directory.Path, "empty.pem");
        File.WriteAllText(empty, "no certificates here\n");
        var missing = Path.Combine(directory.Path, "missing.pem");

        Assert.Equal([$"Delivery:TrustedRootsFile: {empty} holds no PEM certificate"], new DeliveryOptions { TrustedRootsFile = empty }.Validate());
        Assert.StartsWith($"Delivery:TrustedRootsFile: {missing} cannot be read as PEM certificates (", Assert.Single(new DeliveryOptions { TrustedRootsFile = missing }.Validate()), StringComparison.Ordinal);
        Assert.Equal(
            ["Delivery:MtaSts:FetchTimeout is 00:00:00.5000000; must be between 1 second and 5 minutes"],
            new DeliveryOptions { MtaSts = new MtaStsOptions { FetchTimeout = TimeSpan.FromMilliseconds(500) } }.Validate());
    }

    [Fact]
    public void ARootsFileWithACertificateIsAccepted()
    {
        using var directory = new TempDirectory();
        using var authority = TestCertificate.CreateAuthority();
        var roots = Path.Combine(directory.Path, "roots.pem");
        File.WriteAllText(roots, authority.ExportCertificatePem());

        Assert.Empty(new DeliveryOptions { TrustedRootsFile = roots }.Validate());
        Assert.Single(Egress.TrustedRoots.Load(roots).Certificates!);
    }
}
