using System;
using System.Security.Cryptography;
using System.Text;
using Medallion.Catalog;

namespace Medallion.PgWire.Internal;

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange as PostgreSQL runs it (RFC 5802, RFC 7677; see
/// https://www.postgresql.org/docs/current/sasl-authentication.html). The user name inside the
/// SCRAM messages is ignored: the startup message's user is the one authenticated.
/// </summary>
/// <remarks>
/// For an unknown user the exchange runs to the end against a made-up verifier whose salt is
/// derived from the name, so a client cannot tell an unknown user from a wrong password.
/// </remarks>
internal sealed class ScramExchange
{
    public const string Mechanism = "SCRAM-SHA-256";

    private static readonly byte[] s_mockSecret = RandomNumberGenerator.GetBytes(32);

    private readonly ScramVerifier _verifier;
    private readonly bool _userKnown;
    private string? _gs2Header;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _nonce;

    private ScramExchange(ScramVerifier verifier, bool userKnown)
    {
        _verifier = verifier;
        _userKnown = userKnown;
    }

    public static ScramExchange For(string user, string? storedVerifier)
    {
        if (ScramVerifier.TryParse(storedVerifier, out ScramVerifier? verifier))
        {
            return new ScramExchange(verifier, userKnown: true);
        }

        byte[] salt = HMACSHA256.HashData(s_mockSecret, Encoding.UTF8.GetBytes(user))[..16];
        var mock = new ScramVerifier(PgUserStore.DefaultIterations, salt, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        return new ScramExchange(mock, userKnown: false);
    }

    /// <summary>Reads client-first-message; returns server-first-message, or null when the message is malformed.</summary>
    public string? HandleClientFirst(string message)
    {
        // gs2-header: a channel-binding flag ("n", or "y" when the client could bind but we did not
        // offer SCRAM-SHA-256-PLUS), an empty authzid, then the bare message.
        if (!(message.StartsWith("n,", StringComparison.Ordinal) || message.StartsWith("y,", StringComparison.Ordinal)))
        {
            return null;
        }

        int second = message.IndexOf(',', 2);
        if (second < 0 || second != 2)
        {
            return null;
        }

        _gs2Header = message[..(second + 1)];
        _clientFirstBare = message[(second + 1)..];
        string? clientNonce = null;
        foreach (string attribute in _clientFirstBare.Split(','))
        {
            if (attribute.StartsWith("r=", StringComparison.Ordinal))
            {
                clientNonce = attribute[2..];
            }
            else if (attribute.StartsWith("m=", StringComparison.Ordinal))
            {
                return null;
            }
        }

        if (!_clientFirstBare.StartsWith("n=", StringComparison.Ordinal) || string.IsNullOrEmpty(clientNonce) || !IsPrintable(clientNonce))
        {
            return null;
        }

        _nonce = clientNonce + Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_verifier.Salt)},i={_verifier.Iterations}";
        return _serverFirst;
    }

    /// <summary>Checks client-final-message; returns server-final-message when the proof is right, else null.</summary>
    public string? HandleClientFinal(string message)
    {
        if (_serverFirst is null || _gs2Header is null || _clientFirstBare is null)
        {
            return null;
        }

        int proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0)
        {
            return null;
        }

        string withoutProof = message[..proofAt];
        string[] attributes = withoutProof.Split(',');
        if (attributes.Length < 2
            || attributes[0] != "c=" + Convert.ToBase64String(Encoding.ASCII.GetBytes(_gs2Header))
            || attributes[1] != "r=" + _nonce)
        {
            return null;
        }

        byte[] proof;
        try
        {
            proof = Convert.FromBase64String(message[(proofAt + 3)..]);
        }
        catch (FormatException)
        {
            return null;
        }

        if (proof.Length != 32)
        {
            return null;
        }

        byte[] authMessage = Encoding.UTF8.GetBytes(_clientFirstBare + "," + _serverFirst + "," + withoutProof);
        byte[] clientSignature = HMACSHA256.HashData(_verifier.StoredKey, authMessage);
        for (int i = 0; i < proof.Length; i++)
        {
            proof[i] ^= clientSignature[i];
        }

        bool valid = CryptographicOperations.FixedTimeEquals(SHA256.HashData(proof), _verifier.StoredKey);
        if (!valid || !_userKnown)
        {
            return null;
        }

        return "v=" + Convert.ToBase64String(HMACSHA256.HashData(_verifier.ServerKey, authMessage));
    }

    private static bool IsPrintable(string text)
    {
        foreach (char c in text)
        {
            if (c < 0x21 || c > 0x7E || c == ',')
            {
                return false;
            }
        }

        return true;
    }
}
