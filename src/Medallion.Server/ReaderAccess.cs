using System.Threading;
using System.Threading.Tasks;
using Medallion.Platform;
using Medallion.Platform.Access;

namespace Medallion.Server;

/// <summary>What a signed-in user of the web UI or the REST API may see: the Platform's <see cref="ReaderView"/> over this server's project.</summary>
internal static class ReaderAccess
{
    /// <summary>The user's view; <see cref="ReaderView.Everything"/> for an admin, or nobody signed in on a server that lets that be.</summary>
    public static Task<ReaderView> ForAsync(ServerContext server, string? user, CancellationToken cancellationToken) =>
        ReaderView.ForUserAsync(server.Catalog, SqlEndpoint.ProjectTables(server.Project, server.Catalog), user, cancellationToken);

    /// <summary>The project's lakehouse as <paramref name="user"/> sees it (see <see cref="Lakehouse.Reader"/>); the caller disposes it.</summary>
    public static async Task<Lakehouse> OpenLakehouseAsync(ServerContext server, string? user, CancellationToken cancellationToken) =>
        await server.OpenLakehouseAsync(await ForAsync(server, user, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
}
