using System.Security.Cryptography;
using System.Text;
using MailCluster.Admin;

namespace MailCluster.Silo.Http.Admin;

/// <summary>
/// Lets a request through only with <c>Authorization: Bearer &lt;Admin:Token&gt;</c>. The SHA-256
/// digests of both are compared in constant time: equal lengths always, so neither the time nor
/// an early length mismatch tells how long the token is.
/// </summary>
internal sealed class AdminAuthorization(AdminOptions options) : IEndpointFilter
{
    private readonly byte[] _expected = Digest("Bearer " + options.Token);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = Digest(context.HttpContext.Request.Headers.Authorization.ToString());
        if (!CryptographicOperations.FixedTimeEquals(presented, _expected))
        {
            return Results.Json(new AdminError("missing or wrong admin token"), AdminApi.Json, statusCode: StatusCodes.Status401Unauthorized);
        }
        return await next(context);
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
