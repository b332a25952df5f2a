using System.Security.Cryptography;
using System.Text;
using MailCluster.Admin;

namespace MailCluster.Silo.Http.Admin;

/// <summary>Lets a request through only with <c>Authorization: Bearer &lt;Admin:Token&gt;</c>, compared in constant time.</summary>
internal sealed class AdminAuthorization(AdminOptions options) : IEndpointFilter
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes("Bearer " + options.Token);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers.Authorization.ToString());
        if (!CryptographicOperations.FixedTimeEquals(presented, _expected))
        {
            return Results.Json(new AdminError("missing or wrong admin token"), AdminApi.Json, statusCode: StatusCodes.Status401Unauthorized);
        }
        return await next(context);
    }
}
