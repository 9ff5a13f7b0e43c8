using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>
/// <c>/api/saved-queries</c>: SQL queries users keep on the server (the web UI's SQL page lists and saves them here), a
/// query addressed by its owner and name. Every signed-in user reads their own and those others shared; only the owner
/// saves one (an admin may also delete it), and each save and delete is recorded and audited like the API's other acts,
/// refusals too.
/// </summary>
/// <remarks>
/// Saving a query is not running it: the text is stored as given, and whoever runs it later does so with their own
/// grants, masks and row filters, so what a shared query shows depends on who runs it.
/// </remarks>
internal static class SavedQueryEndpoints
{
    private const string Tag = "saved-queries";

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder queries = app.MapGroup("/api").WithTags(Tag);
        queries.MapGet("/saved-queries", async (ServerContext server, HttpContext http, CancellationToken cancellationToken) =>
                Results.Json(await server.Catalog.SavedQueries.ListVisibleAsync(AuditSource.User(http), cancellationToken).ConfigureAwait(false), ApiJson.Options))
            .WithName("ListSavedQueries")
            .WithDescription("The signed-in user's saved queries by name, then those other users shared, by owner and name; each with its owner, SQL, description, whether it is shared, and when it was created and last saved.")
            .Produces<IReadOnlyList<SavedQuery>>();
        queries.MapGet("/saved-queries/{owner}/{name}", async (ServerContext server, HttpContext http, string owner, string name, CancellationToken cancellationToken) =>
                await server.Catalog.SavedQueries.FindAsync(owner, Unescaped(name), cancellationToken).ConfigureAwait(false) is { } query && (query.Shared || query.Owner == AuditSource.User(http))
                    ? Results.Json(query, ApiJson.Options)
                    : NotFound(owner, name))
            .WithName("GetSavedQuery")
            .WithDescription("One saved query: the signed-in user's own, or one its owner shared (the name in any case); any other is a 404, as one that does not exist.")
            .Produces<SavedQuery>().ProducesProblem(StatusCodes.Status404NotFound);
        queries.MapPut("/saved-queries/{owner}/{name}", (ServerContext server, HttpContext http, string owner, string name, SavedQueryBody body, CancellationToken cancellationToken) =>
                ApiEndpoints.ActAsync(server, http, "save query", Target(owner, name), body.Shared ? "shared" : "private", async () =>
                {
                    RequireOwner(http, owner, "save over");
                    (SavedQuery query, bool created) = await server.Catalog.SavedQueries.SaveAsync(
                        owner, Unescaped(name), body.Sql ?? string.Empty, body.Description, body.Shared, cancellationToken).ConfigureAwait(false);
                    return Results.Json(query, ApiJson.Options, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
                }, cancellationToken))
            .WithName("SaveQuery")
            .WithDescription("Saves the signed-in user's query under the name (owner is the user themself): 201 for a new one, 200 when it replaced the one of that name, whatever its case. sql is stored as given (at most 100000 characters; it is not run), the name has 1 to 100 characters without '/', description is optional, shared lets every signed-in user read it. A user keeps at most 500. Another user's query is a 403.")
            .Produces<SavedQuery>(StatusCodes.Status201Created).Produces<SavedQuery>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);
        queries.MapDelete("/saved-queries/{owner}/{name}", (ServerContext server, HttpContext http, string owner, string name, CancellationToken cancellationToken) =>
                ApiEndpoints.ActAsync(server, http, "delete query", Target(owner, name), null, async () =>
                {
                    if (owner != AuditSource.User(http) && !await server.Access.IsAdminAsync(AuditSource.User(http), cancellationToken).ConfigureAwait(false))
                    {
                        RequireOwner(http, owner, "delete");
                    }

                    return await server.Catalog.SavedQueries.DeleteAsync(owner, Unescaped(name), cancellationToken).ConfigureAwait(false)
                        ? Results.NoContent()
                        : throw new MedallionException(ErrorCode.CatalogObjectNotFound, NoQuery(owner, name));
                }, cancellationToken))
            .WithName("DeleteSavedQuery")
            .WithDescription("Deletes a saved query: the signed-in user's own, or (for an admin) anyone's; 204, or 404 when there is none. Another user's query is a 403 for everyone else.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>Refuses (403) to act on a query of <paramref name="owner"/> for anyone but its owner.</summary>
    private static void RequireOwner(HttpContext http, string owner, string act)
    {
        if (owner != AuditSource.User(http))
        {
            throw new MedallionException(ErrorCode.ApiForbidden,
                $"user {AuditSource.User(http)} may not {act} a query saved by {owner}: only its owner changes it{(act == "delete" ? " (or an admin deletes it)" : string.Empty)}\nHelp: save a copy of your own with PUT /api/saved-queries/{AuditSource.User(http)}/<name>.");
        }
    }

    /// <summary>
    /// The name as written: the server decodes every escape of a path but an encoded slash (<c>%2F</c>), which stays as
    /// sent, so a name with a slash is refused as such rather than saved with the escape in it.
    /// </summary>
    private static string Unescaped(string name) => name.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static string Target(string owner, string name) => owner + "/" + Unescaped(name);

    private static IResult NotFound(string owner, string name) => ApiProblem.For(ErrorCode.CatalogObjectNotFound, NoQuery(owner, name));

    private static string NoQuery(string owner, string name) =>
        $"there is no saved query '{Unescaped(name)}' of {owner} that you may see\nHelp: GET /api/saved-queries lists yours and those shared with you.";
}

/// <summary>The body of a save: the query's text and how it is kept (its owner and name are in the path).</summary>
/// <param name="Sql">The SQL, stored as given.</param>
/// <param name="Description">What it answers; optional.</param>
/// <param name="Shared">Whether every signed-in user may read it (default false).</param>
public sealed record SavedQueryBody(string? Sql, string? Description = null, bool Shared = false);
