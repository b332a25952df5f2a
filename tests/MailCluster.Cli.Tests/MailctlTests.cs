using MailCluster.Cli;

namespace MailCluster.Cli.Tests;

public sealed class MailctlTests
{
    [Fact]
    public void OptionsMayComeAnywhereInBothForms()
    {
        var command = CommandLine.Parse(["--url", "http://h:1", "retry", "--domain=d.test", "--token", "t"]);
        Assert.NotNull(command);
        Assert.Equal("retry", command.Verb);
        Assert.Empty(command.Arguments);
        Assert.Equal(("http://h:1", "d.test", "t"), (command.Option("url"), command.Option("domain"), command.Option("token")));
    }

    [Theory]
    [InlineData]
    [InlineData("--url")]
    [InlineData("--url", "http://h")]
    public void NoVerbOrADanglingOptionIsNotACommand(params string[] args) => Assert.Null(CommandLine.Parse(args));

    [Fact]
    public void TableColumnsAreAsWideAsTheirWidestCell()
    {
        var table = TableRenderer.Render(["DOMAIN", "DUE"], [["a.test", "12"], ["much-longer.test", "3"]]);
        Assert.Equal("DOMAIN            DUE\na.test            12\nmuch-longer.test  3\n", table.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("bounce")]
    [InlineData("bounce", "--domain", "a", "--message", "b")]
    [InlineData("suspend")]
    [InlineData("message", "a", "b")]
    [InlineData("domains", "--url", "not a url")]
    public async Task BadUsageExits64BeforeAnyRequest(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await Mailctl.RunAsync(args, output, error));
        Assert.Contains("mailctl", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableApiExits69WithTheAddress()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        // Port 9 (discard) is closed on loopback: the connection is refused at once.
        Assert.Equal(ExitCodes.Unavailable, await Mailctl.RunAsync(["domains", "--url", "http://127.0.0.1:9"], output, error));
        Assert.Contains("cannot reach the admin API at http://127.0.0.1:9/", error.ToString(), StringComparison.Ordinal);
    }
}
