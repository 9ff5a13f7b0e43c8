using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Medallion.Catalog;

/// <summary>
/// A SCRAM-SHA-256 verifier (RFC 5802, RFC 7677) in PostgreSQL's storage format:
/// <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>: what the catalog keeps of a
/// user's password (from which the password cannot be recovered), and what the SQL endpoint's SCRAM exchange checks.
/// </summary>
/// <param name="Iterations">PBKDF2 iterations.</param>
/// <param name="Salt">The random salt.</param>
/// <param name="StoredKey">H(HMAC(SaltedPassword, "Client Key")).</param>
/// <param name="ServerKey">HMAC(SaltedPassword, "Server Key").</param>
public sealed record ScramVerifier(int Iterations, byte[] Salt, byte[] StoredKey, byte[] ServerKey)
{
    /// <summary>PostgreSQL's default iteration count (<c>scram_iterations</c>).</summary>
    public const int DefaultIterations = 4096;

    private const string Prefix = "SCRAM-SHA-256$";

    /// <summary>A verifier of <paramref name="password"/> with a random 16-byte salt.</summary>
    public static ScramVerifier Create(string password, int iterations = DefaultIterations) =>
        FromPassword(password, RandomNumberGenerator.GetBytes(16), iterations);

    /// <summary>The verifier of <paramref name="password"/> with a given salt (to check a password against a stored verifier).</summary>
    public static ScramVerifier FromPassword(string password, byte[] salt, int iterations)
    {
        // PostgreSQL applies SASLprep when the password is valid UTF-8 and prep succeeds; for the
        // ASCII and already-normalized passwords that tools send, NFKC is the same transformation.
        byte[] salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password.Normalize(NormalizationForm.FormKC)), salt, iterations, HashAlgorithmName.SHA256, 32);
        byte[] clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        byte[] storedKey = SHA256.HashData(clientKey);
        byte[] serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return new ScramVerifier(iterations, salt, storedKey, serverKey);
    }

    /// <summary>Reads a verifier in PostgreSQL's storage format; false for anything else.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ScramVerifier? verifier)
    {
        verifier = null;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string[] parts = text[Prefix.Length..].Split('$');
        if (parts.Length != 2)
        {
            return false;
        }

        string[] left = parts[0].Split(':');
        string[] right = parts[1].Split(':');
        if (left.Length != 2 || right.Length != 2
            || !int.TryParse(left[0], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations) || iterations < 1)
        {
            return false;
        }

        try
        {
            byte[] salt = Convert.FromBase64String(left[1]);
            byte[] stored = Convert.FromBase64String(right[0]);
            byte[] server = Convert.FromBase64String(right[1]);
            if (stored.Length != 32 || server.Length != 32 || salt.Length == 0)
            {
                return false;
            }

            verifier = new ScramVerifier(iterations, salt, stored, server);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The verifier in PostgreSQL's storage format.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Iterations}:{Convert.ToBase64String(Salt)}${Convert.ToBase64String(StoredKey)}:{Convert.ToBase64String(ServerKey)}");
}
