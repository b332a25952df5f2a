namespace MailCluster.Cli;

/// <summary>mailctl's exit codes, so scripts can tell failures apart.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The silo answered with an error not listed below (5xx, 400).</summary>
    public const int ServerError = 1;

    /// <summary>The domain or message is unknown to the silo (HTTP 404).</summary>
    public const int NotFound = 2;

    /// <summary>Missing or wrong token (HTTP 401).</summary>
    public const int Unauthorized = 3;

    /// <summary>Bad command line (sysexits EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>The admin API could not be reached (sysexits EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;
}
