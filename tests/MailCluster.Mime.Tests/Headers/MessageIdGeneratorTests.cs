using MailCluster.Mime.Headers;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Mime.Tests.Headers;

public sealed class MessageIdGeneratorTests
{
    [Fact]
    public void IdsCarryTheTimeAndDomainAndDoNotRepeat()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));
        var ids = new MessageIdGenerator(time, new Random(1));
        var all = Enumerable.Range(0, 1000).Select(_ => ids.Next("mx.test")).ToList();
        Assert.Matches("^<20260304050607\\.[0-9a-f]{16}@mx\\.test>$", all[0]);
        Assert.Equal(all.Count, all.Distinct().Count());
    }
}
