using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MailCluster.Silo.Tests.Architecture;

/// <summary>
/// Each room's README says what it depends on, in one line starting <c>Depends on:</c>; the rooms
/// named there must be exactly its project's references, so the map a newcomer reads cannot drift
/// from the build.
/// </summary>
public sealed partial class RoomReadmeTests
{
    private static readonly string s_source = Path.Combine(RepositoryRoot(), "src");

    public static TheoryData<string> Rooms()
    {
        var rooms = new TheoryData<string>();
        foreach (var directory in Directory.EnumerateDirectories(s_source, "MailCluster.*").Order(StringComparer.Ordinal))
        {
            rooms.Add(Path.GetFileName(directory));
        }
        return rooms;
    }

    [Theory]
    [MemberData(nameof(Rooms))]
    public void TheReadmesDependsOnLineNamesExactlyTheProjectsReferences(string room)
    {
        var readme = Path.Combine(s_source, room, "README.md");
        Assert.True(File.Exists(readme), $"{room} has no README.md");
        var line = File.ReadLines(readme).FirstOrDefault(l => l.StartsWith("Depends on:", StringComparison.Ordinal));
        Assert.True(line is not null, $"{readme} has no line starting 'Depends on:'");

        // What follows "Must not" on the same line is what it must not depend on.
        var named = RoomName().Matches(line.Split("Must not")[0]).Select(m => m.Groups[1].Value).Where(IsRoom).ToHashSet(StringComparer.Ordinal);
        var referenced = XDocument.Load(Path.Combine(s_source, room, room + ".csproj"))
            .Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value)["MailCluster.".Length..])
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(named.SetEquals(referenced), $"{readme} says it depends on [{string.Join(", ", named.Order())}]; {room}.csproj references [{string.Join(", ", referenced.Order())}]");
    }

    private static bool IsRoom(string name) => Directory.Exists(Path.Combine(s_source, "MailCluster." + name));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }

    // A room is named by its short name as a word (Smtp, Spool, ...); "nothing of ours" names none.
    [GeneratedRegex(@"\b([A-Z][a-z]+)\b")]
    private static partial Regex RoomName();
}
