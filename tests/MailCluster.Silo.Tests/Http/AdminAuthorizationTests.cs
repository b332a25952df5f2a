using MailCluster.Admin;
using MailCluster.Silo.Http.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MailCluster.Silo.Tests.Http;

public sealed class AdminAuthorizationTests
{
    private readonly AdminAuthorization _filter = new(new AdminOptions { Token = "a-token-of-sixteen+" });

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-of-16+")]
    [InlineData("Bearer a-token-of-sixteen")]
    [InlineData("a-token-of-sixteen+")]
    [InlineData("Basic a-token-of-sixteen+")]
    public async Task AnyOtherAuthorizationIs401WithAnErrorAndTheEndpointDoesNotRun(string? authorization)
    {
        var ran = false;

        var result = await InvokeAsync(authorization, () => ran = true);

        var refused = Assert.IsType<JsonHttpResult<AdminError>>(result);
        Assert.Equal(StatusCodes.Status401Unauthorized, refused.StatusCode);
        Assert.Equal("missing or wrong admin token", refused.Value!.Error);
        Assert.False(ran);
    }

    [Fact]
    public async Task TheBearerTokenLetsTheRequestThrough()
    {
        var ran = false;

        var result = await InvokeAsync("Bearer a-token-of-sixteen+", () => ran = true);

        Assert.Equal("endpoint", result);
        Assert.True(ran);
    }

    private async Task<object?> InvokeAsync(string? authorization, Action endpoint)
    {
        var http = new DefaultHttpContext();
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }
        return await _filter.InvokeAsync(EndpointFilterInvocationContext.Create(http), _ =>
        {
            endpoint();
            return ValueTask.FromResult<object?>("endpoint");
        });
    }
}
