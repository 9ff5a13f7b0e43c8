using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Medallion.PgWire.Internal;

/// <summary>
/// A SCRAM-SHA-256 verifier (RFC 5802, RFC 7677) in PostgreSQL's storage format:
/// <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>.
/// </summary>
internal sealed record ScramVerifier(int Iterations, byte[] Salt, byte[] StoredKey, byte[] ServerKey)
{
    private const string Prefix = "SCRAM-SHA-256$";

    public static ScramVerifier Create(string password, int iterations) =>
        FromPassword(password, RandomNumberGenerator.GetBytes(16), iterations);

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

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Iterations}:{Convert.ToBase64String(Salt)}${Convert.ToBase64String(StoredKey)}:{Convert.ToBase64String(ServerKey)}");
}
