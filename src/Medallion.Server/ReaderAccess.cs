using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine.Sessions;
using Medallion.PgWire;

namespace Medallion.Server;

/// <summary>What a signed-in user of the web UI or the REST API may read: the SQL endpoint's rules (<see cref="CatalogSessionAccess"/>).</summary>
internal static class ReaderAccess
{
    /// <summary>The user's access, or null when the user reads everything (an admin, or nobody signed in on a server that lets that be).</summary>
    public static async Task<SessionAccess?> ForAsync(ServerContext server, string? user, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            return null;
        }

        // An admin reads everything (as CatalogSessionAccess decides): then the tables need not be listed, which for a
        // project of a thousand tables costs more than the rest of most pages.
        if (await server.Catalog.GetUserAccessAsync(user, cancellationToken).ConfigureAwait(false) is null or { IsAdmin: true })
        {
            return null;
        }

        ITableLocator tables = SqlEndpoint.ProjectTables(server.Project, server.Catalog);
        return await new CatalogSessionAccess(server.Catalog).ForUserAsync(user, await tables.ListAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="table"/> is readable under <paramref name="access"/> (null reads everything).</summary>
    public static bool CanRead(this SessionAccess? access, TableName table) => access is null || access.Find(table.ToString()) is not null;
}
