using MailCluster.Delivery.MtaSts;

namespace MailCluster.Delivery.Tests.MtaSts;

public sealed class MtaStsRecordTests
{
    [Theory]
    [InlineData("v=STSv1; id=20160831085700Z;", "20160831085700Z")]
    [InlineData("v=STSv1;id=abc", "abc")]
    [InlineData("v=STSv1; id=abc; ext_1=x-y", "abc")]
    [InlineData("v=STSv1 ;\tid=abc ;", "abc")]
    [InlineData("v=STSv1; id=first; id=second", "first")]
    public void AValidRecordGivesItsId(string record, string id) =>
        Assert.Equal(id, MtaStsRecord.IdFrom([record]));

    [Theory]
    [InlineData("v=STSv1;")]
    [InlineData("v=STSv1; id=")]
    [InlineData("v=STSv1; id=has-dash")]
    [InlineData("v=STSv1; id=123456789012345678901234567890123")]
    [InlineData("v=STSv1; id=abc;; x=y")]
    [InlineData("v=STSv1; id=abc; bad field")]
    [InlineData("v=STSv1; id=abc; x=a=b")]
    [InlineData("v=STSv2; id=abc")]
    [InlineData("v=STSv1x; id=abc")]
    [InlineData("V=STSv1; id=abc")]
    [InlineData("id=abc; v=STSv1")]
    public void AnInvalidRecordMeansNoPolicy(string record) =>
        Assert.Null(MtaStsRecord.IdFrom([record]));

    [Fact]
    public void OtherTxtRecordsAreDiscardedButTwoStsRecordsMeanNoPolicy()
    {
        Assert.Equal("abc", MtaStsRecord.IdFrom(["v=spf1 -all", "v=STSv1; id=abc"]));
        Assert.Null(MtaStsRecord.IdFrom(["v=STSv1; id=abc", "v=STSv1; id=def"]));
        Assert.Null(MtaStsRecord.IdFrom([]));
    }
}
