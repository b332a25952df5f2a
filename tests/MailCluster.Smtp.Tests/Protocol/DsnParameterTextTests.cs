using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Tests.Protocol;

public sealed class DsnParameterTextTests
{
    [Theory]
    [InlineData("NEVER", DsnNotify.Never)]
    [InlineData("success", DsnNotify.Success)]
    [InlineData("SUCCESS,FAILURE,DELAY", DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay)]
    [InlineData("Delay,Failure", DsnNotify.Delay | DsnNotify.Failure)]
    // Spools written before typed parameters stored the enum's own text, with spaces.
    [InlineData("SUCCESS, FAILURE", DsnNotify.Success | DsnNotify.Failure)]
    public void NotifyListsParse(string text, DsnNotify expected)
    {
        Assert.True(DsnParameterText.TryParseNotify(text, out var notify));
        Assert.Equal(expected, notify);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(",")]
    [InlineData("SUCCESS,")]
    [InlineData("NEVER,FAILURE")]
    [InlineData("FAILURE,NEVER")]
    [InlineData("FAILURE,FAILURE")]
    [InlineData("SOMETIMES")]
    [InlineData("Unspecified")]
    public void BadNotifyListsAreRefused(string? text)
    {
        Assert.False(DsnParameterText.TryParseNotify(text, out var notify));
        Assert.Equal(DsnNotify.Unspecified, notify);
    }

    [Theory]
    [InlineData(DsnNotify.Unspecified, null)]
    [InlineData(DsnNotify.Never, "NEVER")]
    [InlineData(DsnNotify.Failure | DsnNotify.Success, "SUCCESS,FAILURE")]
    [InlineData(DsnNotify.Delay | DsnNotify.Failure | DsnNotify.Success, "SUCCESS,FAILURE,DELAY")]
    public void NotifyFormatsAsTheWireList(DsnNotify notify, string? expected)
    {
        Assert.Equal(expected, DsnParameterText.Format(notify));
        if (expected is not null)
        {
            Assert.True(DsnParameterText.TryParseNotify(expected, out var back));
            Assert.Equal(notify, back);
        }
    }

    [Theory]
    [InlineData("FULL", DsnReturn.Full, true)]
    [InlineData("hdrs", DsnReturn.Headers, true)]
    [InlineData("HEADERS", DsnReturn.Unspecified, false)]
    [InlineData("", DsnReturn.Unspecified, false)]
    [InlineData(null, DsnReturn.Unspecified, false)]
    public void ReturnParses(string? text, DsnReturn expected, bool valid)
    {
        Assert.Equal(valid, DsnParameterText.TryParseReturn(text, out var ret));
        Assert.Equal(expected, ret);
    }

    [Fact]
    public void ReturnFormatsAsItsKeyword() =>
        Assert.Equal(["FULL", "HDRS", null], new[] { DsnReturn.Full, DsnReturn.Headers, DsnReturn.Unspecified }.Select(DsnParameterText.Format));

    [Fact]
    public void TransientKeepsSubjectAndDetail() =>
        Assert.Equal(new EnhancedStatusCode(4, 7, 650), new EnhancedStatusCode(5, 7, 650).AsTransient());
}
