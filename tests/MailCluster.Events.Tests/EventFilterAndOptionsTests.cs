using MailCluster.Testing.IO;

namespace MailCluster.Events.Tests;

public sealed class EventFilterAndOptionsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public void AnEmptyFilterPassesEverythingAndAFullOneAllItsConditions()
    {
        var reception = Event(EventKind.Reception, "bulk", "news");
        var bounce = Event(EventKind.Bounce, "bulk", "news");
        var other = Event(EventKind.Bounce, "shop", null);

        Assert.True(new EventFilter(new EventSinkOptions()).Passes(reception.ToJson()));
        Assert.True(new EventFilter(new EventSinkOptions()).Passes("not json"u8));

        var filter = new EventFilter(new EventSinkOptions { Kinds = "Bounce, complaint", Users = "bulk", Pools = "NEWS,other" });
        Assert.False(filter.Passes(reception.ToJson()));
        Assert.True(filter.Passes(bounce.ToJson()));
        Assert.False(filter.Passes(other.ToJson()));
        // An event a later version wrote and this one cannot read passes: the receiver decides.
        Assert.True(filter.Passes("{\"type\":\"SomethingNew\"}"u8));
    }

    [Fact]
    public void TheEventsJsonNamesItsFieldsAndLeavesOutWhatAHappeningHasNot()
    {
        var json = System.Text.Encoding.UTF8.GetString(Event(EventKind.TransientFailure, null, null).ToJson());

        Assert.Contains("\"type\":\"TransientFailure\"", json, StringComparison.Ordinal);
        Assert.Contains("\"queue_id\":\"Q1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"message_id\":\"<m@client.test>\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"user\"", json, StringComparison.Ordinal);
        Assert.Equal(Event(EventKind.TransientFailure, null, null), DeliveryEvent.FromJson(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void OptionsNameTheKeyOfEachMistake()
    {
        var secret = Path.Combine(_directory.Path, "short");
        File.WriteAllText(secret, "short");
        var options = new EventsOptions
        {
            MaxBacklogBytes = 1000,
            Sinks =
            [
                new EventSinkOptions { Name = "Hooks!", Url = "http://plain.test/", SecretFile = secret, BatchSize = 0, RetryInitial = TimeSpan.FromMinutes(10) },
                new EventSinkOptions { Name = "b", Url = "https://b.test/", SecretFile = "/nonexistent", Kinds = "Bounce,Bounced,3" },
                new EventSinkOptions { Name = "b", Url = "https://b.test/", SecretFile = "/nonexistent", CaCertificateFile = "/none.pem" },
            ],
        };

        var errors = options.Validate().ToList();

        Assert.Contains(errors, e => e.StartsWith("Events:MaxBacklogBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:0:Name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:0:Url", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:0:SecretFile", StringComparison.Ordinal) && e.Contains("16 characters", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:0:BatchSize", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:0:RetryInitial", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:1:SecretFile", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:1:Kinds names 'Bounced'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:1:Kinds names '3'", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("'Bounce'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks:2:CaCertificateFile", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Events:Sinks names 'b' 2 times", StringComparison.Ordinal));
    }

    public void Dispose() => _directory.Dispose();

    private static DeliveryEvent Event(EventKind kind, string? user, string? pool) =>
        new("0197", kind, new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), "silo-0", "Q1", "<m@client.test>", "s@client.test", "r@dest.test", user, Pool: pool);
}
