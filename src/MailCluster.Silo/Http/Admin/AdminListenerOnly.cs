namespace MailCluster.Silo.Http.Admin;

/// <summary>
/// The admin API answers only on connections that arrived at its own listener: the connection's
/// local port decides, never the Host header, which the client writes (a Host of <c>x:8026</c> sent
/// to the metrics port must not reach the API). Elsewhere it does not exist: 404.
/// </summary>
internal sealed class AdminListenerOnly(int adminPort) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.Connection.LocalPort == adminPort ? await next(context) : Results.NotFound();
}
