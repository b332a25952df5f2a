using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MailCluster.Admin;

/// <summary>
/// Passwords as PBKDF2-HMAC-SHA256 hashes: <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64). The
/// credentials file holds only these; verifying compares in constant time.
/// </summary>
public static class PasswordHash
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>
    /// Fewer iterations than this and a hash is refused when the credentials file is loaded: a
    /// stolen file would then cost an attacker too little per guess (a sixth of OWASP's figure).
    /// </summary>
    public const int MinimumIterations = 100_000;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Create(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="encoded"/> is a hash this class can check.</summary>
    public static bool IsWellFormed(string encoded) => Parse(encoded) is not null;

    /// <summary>The iteration count of a well-formed hash, else 0.</summary>
    public static int IterationsOf(string encoded) => Parse(encoded)?.Iterations ?? 0;

    public static bool Verify(string password, string encoded)
    {
        if (Parse(encoded) is not var (iterations, salt, expected))
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static (int Iterations, byte[] Salt, byte[] Hash)? Parse(string encoded)
    {
        var parts = encoded.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return null;
        }
        try
        {
            return (iterations, Convert.FromBase64String(parts[2]), Convert.FromBase64String(parts[3]));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
