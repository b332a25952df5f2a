using System.Security.Cryptography;
using System.Text;

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
            return Results.Json(new AdminError("missing or wrong admin token"), statusCode: StatusCodes.Status401Unauthorized);
        }
        return await next(context);
    }
}

/// <summary>Every admin error body: one sentence a person can act on.</summary>
internal sealed record AdminError(string Error);

/// <summary>The body of an action on recipients: how many it touched.</summary>
internal sealed record AdminCount(int Recipients);
