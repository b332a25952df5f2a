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

public sealed class UserFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mailctl-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task UserAddWritesThroughNoPlantedLinkAndLeavesAFileOnlyItsOwnerCanRead()
    {
        var path = Path.Combine(_directory.FullName, "users");
        var victim = Path.Combine(_directory.FullName, "victim");
        await File.WriteAllTextAsync(victim, "untouched\n");
        // Someone who can write the directory plants the temporary file's old, predictable name.
        File.CreateSymbolicLink(path + ".tmp", victim);
        using var input = new StringReader("s3cret\n");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await UserFile.RunAsync(CommandLine.Parse(["user", "add", "alice", "client.test", "--file", path])!, input, output, error);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("untouched\n", await File.ReadAllTextAsync(victim));
        Assert.StartsWith("alice:pbkdf2-sha256$", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(["users", "users.tmp", "victim"], _directory.GetFileSystemInfos().Select(f => f.Name).Order());
    }

    [Fact]
    public async Task UserRemoveFindsAUserByTheNameTheSiloWouldAuthenticateAndListShowsTheFileAsTheSiloReadsIt()
    {
        var path = Path.Combine(_directory.FullName, "users");
        using (var input = new StringReader("s3cret\n"))
        {
            Assert.Equal(ExitCodes.Ok, await UserFile.RunAsync(CommandLine.Parse(["user", "add", "kelvin", "Client.test,news.client.test", "--file", path])!, input, TextWriter.Null, TextWriter.Null));
        }
        using var listed = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await UserFile.RunAsync(CommandLine.Parse(["user", "list", "--file", path])!, TextReader.Null, listed, TextWriter.Null));
        Assert.Equal("kelvin  client.test,news.client.test", listed.ToString().Trim());

        // U+212A KELVIN SIGN + "elvin" logs in as kelvin, so it is kelvin's line that goes.
        var exit = await UserFile.RunAsync(CommandLine.Parse(["user", "remove", "\u212Aelvin", "--file", path])!, TextReader.Null, TextWriter.Null, TextWriter.Null);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.DoesNotContain("kelvin", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--pool", "bulk" }, ":::bulk", "  pool bulk")]
    [InlineData(new[] { "--messages-per-hour", "10", "--recipients-per-message", "5", "--pool", "bulk" }, ":10:5:bulk", "  pool bulk")]
    [InlineData(new[] { "--recipients-per-message", "5" }, "::5", "")]
    [InlineData(new[] { "--messages-per-hour", "10" }, ":10", "")]
    [InlineData(new string[0], "", "")]
    public async Task UserAddWritesThePoolAfterTheLimitsAndListShowsIt(string[] options, string fields, string listed)
    {
        var path = Path.Combine(_directory.FullName, "users");
        using var input = new StringReader("s3cret\n");

        var exit = await UserFile.RunAsync(CommandLine.Parse(["user", "add", "alice", "client.test", "--file", path, .. options])!, input, TextWriter.Null, TextWriter.Null);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.EndsWith(":client.test" + fields, (await File.ReadAllLinesAsync(path)).Single(), StringComparison.Ordinal);
        using var list = new StringWriter();
        using var problems = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await UserFile.RunAsync(CommandLine.Parse(["user", "list", "--file", path])!, TextReader.Null, list, problems));
        Assert.Equal("alice  client.test" + listed, list.ToString().Trim());
        Assert.Empty(problems.ToString());
    }

    [Theory]
    [InlineData("bulk pool")]
    [InlineData("bulk:x")]
    [InlineData("b\u00fclk")]
    [InlineData("")]
    [InlineData("ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp")]
    public async Task AnInvalidPoolNameIsAUsageErrorThatWritesNothingAndReadsNoPassword(string pool)
    {
        var path = Path.Combine(_directory.FullName, "users");
        using var input = new StringReader("s3cret\n");
        using var error = new StringWriter();

        var exit = await UserFile.RunAsync(CommandLine.Parse(["user", "add", "alice", "client.test", "--file", path, "--pool=" + pool])!, input, TextWriter.Null, error);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal($"mailctl user add: --pool '{pool}' is not a pool name: 1-64 letters, digits, '-', '_' or '.'", error.ToString().Trim());
        Assert.False(File.Exists(path));
        Assert.Equal("s3cret", await input.ReadLineAsync());
    }
}
