using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;

namespace Medallion.PgWire;

/// <summary>
/// Users kept in memory, optionally loaded from a file of <c>name:verifier</c> lines (the verifier
/// in PostgreSQL's <c>SCRAM-SHA-256$...</c> format, as <see cref="CreateScramVerifier"/> makes it).
/// Passwords themselves are never stored.
/// </summary>
public sealed class PgUserStore : IPgUserStore
{
    /// <summary>PostgreSQL's default iteration count (<c>scram_iterations</c>).</summary>
    public const int DefaultIterations = ScramVerifier.DefaultIterations;

    private readonly ConcurrentDictionary<string, string> _verifiers = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces a user, storing only the SCRAM verifier of the password.</summary>
    public void AddUser(string user, string password, int iterations = DefaultIterations)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        _verifiers[user] = CreateScramVerifier(password, iterations);
    }

    /// <summary>Adds or replaces a user with an existing verifier.</summary>
    /// <exception cref="FormatException">The verifier is not in PostgreSQL's SCRAM-SHA-256 format.</exception>
    public void AddVerifier(string user, string verifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        if (!ScramVerifier.TryParse(verifier, out _))
        {
            throw new FormatException($"The verifier of user '{user}' is not in the form SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.");
        }

        _verifiers[user] = verifier;
    }

    /// <summary>Loads users from a file of <c>name:verifier</c> lines; blank lines and lines starting with <c>#</c> are skipped.</summary>
    /// <exception cref="FormatException">A line is malformed; the message names the file and line.</exception>
    public static async Task<PgUserStore> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        var store = new PgUserStore();
        string[] lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"{path}:{i + 1}: expected 'name:SCRAM-SHA-256$...'.");
            }

            try
            {
                store.AddVerifier(line[..colon], line[(colon + 1)..]);
            }
            catch (FormatException error)
            {
                throw new FormatException($"{path}:{i + 1}: {error.Message}", error);
            }
        }

        return store;
    }

    /// <summary>Makes a PostgreSQL-compatible SCRAM-SHA-256 verifier with a random 16-byte salt.</summary>
    public static string CreateScramVerifier(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        return ScramVerifier.Create(password, iterations).ToString();
    }

    /// <summary>
    /// Whether <paramref name="password"/> is the one <paramref name="scramVerifier"/> was made from, for logins that
    /// send a password rather than a SCRAM exchange (HTTP Basic over TLS). The comparison takes the same time for
    /// every wrong password; a verifier that does not parse matches nothing.
    /// </summary>
    public static bool VerifyPassword(string? scramVerifier, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!ScramVerifier.TryParse(scramVerifier, out ScramVerifier? stored))
        {
            return false;
        }

        ScramVerifier offered = ScramVerifier.FromPassword(password, stored.Salt, stored.Iterations);
        return CryptographicOperations.FixedTimeEquals(offered.StoredKey, stored.StoredKey);
    }

    /// <inheritdoc />
    public ValueTask<string?> FindScramVerifierAsync(string user, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_verifiers.TryGetValue(user, out string? verifier) ? verifier : null);
}
