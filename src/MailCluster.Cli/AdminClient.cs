using System.Net.Http.Json;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MailCluster.Admin;

namespace MailCluster.Cli;

/// <summary>The admin API's answer: status, the API version it speaks, and its JSON body (or the error sentence it carries).</summary>
public sealed record AdminResponse(HttpStatusCode Status, int? ApiVersion, JsonElement Body)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public string Error => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(s_errorProperty, out var error) && error.ValueKind == JsonValueKind.String
        ? error.GetString()!
        : $"HTTP {(int)Status}";

    // The contract's AdminError.Error as the wire names it; read leniently, since errors come from anything on the way.
    private static readonly string s_errorProperty = AdminApi.Json.PropertyNamingPolicy!.ConvertName(nameof(AdminError.Error));

    /// <summary>The body as the contract record <typeparamref name="T"/>.</summary>
    public T Read<T>() => Body.Deserialize<T>(AdminApi.Json) ?? throw new JsonException($"the admin API answered null for {typeof(T).Name}");

    public int ExitCode => Status switch
    {
        _ when IsSuccess => ExitCodes.Ok,
        HttpStatusCode.NotFound => ExitCodes.NotFound,
        HttpStatusCode.Unauthorized => ExitCodes.Unauthorized,
        _ => ExitCodes.ServerError,
    };
}

/// <summary>HTTP calls to the admin API with the bearer token.</summary>
public sealed class AdminClient(HttpClient http, string token)
{
    public Task<AdminResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<AdminResponse> PostAsync(string path) => SendAsync(HttpMethod.Post, path);

    public Task<AdminResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>A POST with a JSON body (the admin API's serializer options).</summary>
    public Task<AdminResponse> PostAsync<T>(string path, T body) =>
        SendAsync(HttpMethod.Post, path, JsonContent.Create(body, options: AdminApi.Json));

    private async Task<AdminResponse> SendAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.TrimStart() is ['{', ..] or ['[', ..] ? JsonDocument.Parse(text).RootElement.Clone() : default;
        var version = response.Headers.TryGetValues(AdminApi.VersionHeader, out var values) && int.TryParse(values.FirstOrDefault(), out var v) ? v : (int?)null;
        return new AdminResponse(response.StatusCode, version, body);
    }
}
