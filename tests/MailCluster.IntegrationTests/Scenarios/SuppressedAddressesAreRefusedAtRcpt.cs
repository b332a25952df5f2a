using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// An address the MX refused as nonexistent (550 5.1.1) joins the suppression list, and ingress
/// refuses it at RCPT from then on; operators list, remove and import addresses with mailctl.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SuppressedAddressesAreRefusedAtRcpt
{
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.36.2"];

    [Fact]
    public async Task AHardBounceIsSuppressedAndOperatorsEditTheList()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.36.2"], 0);
        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "reject+bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await WaitForListedAsync(world, "reject+bob@dest.test");

        var refused = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "Reject+Bob@dest.test");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("550 5.1.1 Recipient is on the suppression list", refused.Output, StringComparison.Ordinal);

        var removed = await world.MailctlAsync(["suppress", "remove", "reject+bob@dest.test"]);
        Assert.True(removed.ExitCode == 0 && removed.Output.Contains("reject+bob@dest.test: removed", StringComparison.Ordinal), removed.ToString());
        var again = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "reject+bob@dest.test");
        Assert.True(again.ExitCode == 0, again.ToString());

        using var files = new TempDirectory();
        var import = Path.Combine(files.Path, "bounces.txt");
        await File.WriteAllTextAsync(import, "# from the old MTA\ncarol@dest.test\n\ndave@dest.test\n");
        var imported = await world.MailctlAsync(["suppress", "import", import]);
        Assert.True(imported.ExitCode == 0 && imported.Output.Contains("2 address(es) added", StringComparison.Ordinal), imported.ToString());
        var importedRefused = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "dave@dest.test");
        Assert.Contains("550 5.1.1 Recipient is on the suppression list", importedRefused.Output, StringComparison.Ordinal);
        var bad = await world.MailctlAsync(["suppress", "add", "not-an-address"]);
        Assert.Equal(1, bad.ExitCode);
    }

    /// <summary>Asks mailctl for the list until it names the address (the bounce is recorded after the attempt).</summary>
    private static async Task WaitForListedAsync(MailWorld world, string address)
    {
        CommandResult? list = null;
        await Polling.UntilAsync(
            async () => (list = await world.MailctlAsync(["suppress", "list"])).Output.Contains(address + " ", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            () => $"{address} never listed:\n{list}\n{world.Context()}");
        Assert.Contains("5.1.1", list!.Output, StringComparison.Ordinal);
    }
}
