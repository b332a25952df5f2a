using Azure.Data.Tables;

namespace MailCluster.Cluster;

/// <summary>The Azure Storage account of <c>AzureStorage</c> mode, and the names of what the cluster keeps in it.</summary>
internal static class AzureStorageAccount
{
    /// <summary>Why the connection string cannot be used, or null when it parses.</summary>
    public static string? Problem(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "is required in AzureStorage mode (UseDevelopmentStorage=true for Azurite)";
        }
        try
        {
            _ = new TableServiceClient(connectionString);
            return null;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or InvalidOperationException)
        {
            return $"does not parse: {exception.Message}";
        }
    }

    /// <summary>
    /// A table name for <paramref name="serviceId"/> (validated as 1-40 lower-case letters and
    /// digits): Azure allows 3-63 letters and digits starting with a letter, hence the "mc".
    /// </summary>
    public static string TableName(string serviceId, string purpose) => $"mc{serviceId}{purpose}";
}
