using System.Threading;
using System.Threading.Tasks;

namespace Medallion.PgWire;

/// <summary>
/// Opens the SQL session behind each authenticated PostgreSQL client.
/// <see cref="LakehouseSessionFactory"/> serves the lakehouse's tables (namespaces as schemas) on a DuckDB database.
/// </summary>
/// <remarks>Called concurrently, once per client connection; implementations must be thread-safe.</remarks>
public interface IPgSessionFactory
{
    /// <summary>Opens a session for a client that has passed authentication.</summary>
    /// <param name="startup">Who connected, to which database, from where.</param>
    /// <param name="cancellationToken">Cancelled when the client goes away or the server stops.</param>
    /// <returns>A session that the server disposes when the client disconnects.</returns>
    /// <exception cref="PgWireException">The session is refused; its SQLSTATE goes to the client (e.g. <c>3D000</c>).</exception>
    ValueTask<ISqlSession> OpenSessionAsync(PgSessionStartup startup, CancellationToken cancellationToken = default);
}
