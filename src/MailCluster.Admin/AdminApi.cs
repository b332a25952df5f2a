using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailCluster.Admin;

/// <summary>
/// The admin API's wire contract, shared by the silo that writes it and mailctl that reads it, so
/// that renaming a field breaks the build instead of mailctl at run time. A change that an older
/// mailctl could not read bumps <see cref="Version"/>; every response carries it in <see cref="VersionHeader"/>.
/// </summary>
public static class AdminApi
{
    public const int Version = 1;

    public const string VersionHeader = "MailCluster-Admin-Api";

    /// <summary>camelCase names, enums as their names: what both sides serialize with.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };
}
