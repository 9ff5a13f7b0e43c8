using System.Threading;
using System.Threading.Tasks;

namespace Medallion.PgWire;

/// <summary>
/// Where the server finds users' SCRAM-SHA-256 verifiers. The catalog implements it for
/// <c>medallion user add</c>; <see cref="PgUserStore"/> keeps users in memory or in a file.
/// </summary>
/// <remarks>Called concurrently; implementations must be thread-safe.</remarks>
public interface IPgUserStore
{
    /// <summary>
    /// The stored verifier of <paramref name="user"/> in PostgreSQL's format
    /// (<c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>, base64 parts), or null when there is no such user.
    /// </summary>
    ValueTask<string?> FindScramVerifierAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether <paramref name="user"/> may take the places kept for admins (<see cref="PgWireServerOptions.ReservedConnections"/>);
    /// asked only once every other place is taken. No one by default.
    /// </summary>
    ValueTask<bool> IsAdminAsync(string user, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);
}
