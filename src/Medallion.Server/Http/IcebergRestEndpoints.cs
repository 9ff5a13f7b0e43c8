using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta.Iceberg;
using Medallion.Platform;
using Medallion.Server.Iceberg;
using Medallion.Server.UnityCatalog;
using Medallion.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>
/// The Iceberg REST catalog, read side, under <c>/api/2.1/unity-catalog/iceberg/v1</c> (where Unity Catalog serves it):
/// how Trino, Spark, Snowflake and other Iceberg engines find the project's Delta UniForm tables. Namespaces are the
/// project's; the tables are those with Iceberg metadata (UniForm), loaded as <c>LoadTableResult</c> with the newest
/// metadata file's location and content.
/// </summary>
/// <remarks>
/// Callers sign in as for the Unity Catalog routes (API token, HTTP Basic, the web UI's session) and see what their SQL
/// reads: a table they may not read is answered as one that does not exist, and one whose reading a row filter, masks or
/// a column grant narrow for them is refused (403), as its files would bypass those. Errors have Iceberg's shape
/// (<c>{"error": {"message", "type", "code"}}</c>). Writes are not served (406).
/// </remarks>
internal static partial class IcebergRestEndpoints
{
    /// <summary>Where the catalog lives; clients are configured with it as their <c>uri</c>.</summary>
    public const string Prefix = UnityCatalogEndpoints.Prefix + "/iceberg";

    /// <summary>The most tables or namespaces in one page, and the page length without <c>pageSize</c>.</summary>
    internal const int MaxPageSize = 1000;

    private const int MaxNameLength = 255;

    private const string Tag = "iceberg-rest";

    /// <summary>
    /// The endpoints answered, as the spec's CatalogConfig has them: "&lt;verb&gt; &lt;resource path from the OpenAPI
    /// document&gt;", so with its <c>{prefix}</c> segment although this catalog has no prefix (clients match these strings
    /// against their own list of the document's paths, and refuse an operation whose path they do not find).
    /// </summary>
    private static readonly string[] s_endpoints =
    [
        "GET /v1/{prefix}/namespaces", "GET /v1/{prefix}/namespaces/{namespace}", "HEAD /v1/{prefix}/namespaces/{namespace}",
        "GET /v1/{prefix}/namespaces/{namespace}/tables", "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}", "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    ];

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.General)
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder iceberg = app.MapGroup(Prefix).AllowAnonymous().AddEndpointFilter(RequireUserAsync).WithTags(Tag);
        iceberg.MapGet("/v1/config", Config)
            .WithName("IcebergGetConfig").Produces<IcebergCatalogConfig>().ProducesIcebergErrors(StatusCodes.Status400BadRequest)
            .WithDescription("Iceberg REST getConfig: no prefix, no overrides, the endpoints served.");
        iceberg.MapGet("/v1/namespaces", ListNamespacesAsync)
            .WithName("IcebergListNamespaces").Produces<IcebergNamespaceList>().ProducesIcebergErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithDescription("Iceberg REST listNamespaces: the project's namespaces holding a table the caller may read; paged by pageSize and pageToken.");
        iceberg.MapGet("/v1/namespaces/{namespace}", GetNamespaceAsync)
            .WithName("IcebergLoadNamespace").Produces<IcebergNamespace>().ProducesIcebergErrors(StatusCodes.Status404NotFound)
            .WithDescription("Iceberg REST loadNamespaceMetadata.");
        iceberg.MapMethods("/v1/namespaces/{namespace}", [HttpMethods.Head], HeadNamespaceAsync)
            .WithName("IcebergNamespaceExists").Produces(StatusCodes.Status204NoContent).Produces(StatusCodes.Status404NotFound)
            .WithDescription("Iceberg REST namespaceExists: 204, or 404 without a body.");
        iceberg.MapGet("/v1/namespaces/{namespace}/tables", ListTablesAsync)
            .WithName("IcebergListTables").Produces<IcebergTableList>().ProducesIcebergErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithDescription("Iceberg REST listTables: the namespace's UniForm tables the caller may read; paged by pageSize and pageToken.");
        iceberg.MapGet("/v1/namespaces/{namespace}/tables/{table}", LoadTableAsync)
            .WithName("IcebergLoadTable").Produces<IcebergLoadTableResult>()
            .ProducesIcebergErrors(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithDescription("Iceberg REST loadTable: the newest Iceberg metadata of a UniForm table; a plain Delta table answers NoSuchTableException saying how to enable UniForm. "
                + "With X-Iceberg-Access-Delegation: vended-credentials, read credentials for the table's files (S3 session keys, an Azure SAS; none for a local table) in config and storage-credentials, issued and audited as Unity Catalog's temporary credentials.");
        iceberg.MapMethods("/v1/namespaces/{namespace}/tables/{table}", [HttpMethods.Head], HeadTableAsync)
            .WithName("IcebergTableExists").Produces(StatusCodes.Status204NoContent).Produces(StatusCodes.Status404NotFound)
            .WithDescription("Iceberg REST tableExists: 204 for a table loadTable would answer, else its status without a body.");
        iceberg.MapMethods("/{**rest}", [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete], (HttpContext http) =>
                HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
                    ? Error(StatusCodes.Status404NotFound, "NotFoundException", $"{http.Request.Method} {Prefix}/{Shorten(http.Request.RouteValues["rest"] as string ?? string.Empty)} is not served: this catalog answers {string.Join(", ", s_endpoints)}")
                    : Error(StatusCodes.Status406NotAcceptable, "UnsupportedOperationException", $"{http.Request.Method} is not served: this catalog is read-only; Medallion's runs write its tables"))
            .ExcludeFromDescription();
    }

    private static async ValueTask<object?> RequireUserAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        await UnityCatalogEndpoints.SignInAsync(context.HttpContext).ConfigureAwait(false) is { } failure
            ? Error(StatusCodes.Status401Unauthorized, "NotAuthorizedException", failure)
            : await next(context).ConfigureAwait(false);

    private static IResult Config(ServerContext server, [FromQuery(Name = "warehouse")] string? warehouse) =>
        warehouse is null || string.Equals(warehouse, server.Project.Name, StringComparison.OrdinalIgnoreCase)
            ? Json(new IcebergCatalogConfig(new Dictionary<string, string>(), new Dictionary<string, string>(), s_endpoints))
            : Error(StatusCodes.Status400BadRequest, "BadRequestException", $"warehouse '{Shorten(warehouse)}' is not this server's: its one warehouse is its project, '{server.Project.Name}'");

    private static async Task<IResult> ListNamespacesAsync(
        ServerContext server, HttpContext http, [FromQuery(Name = "parent")] string? parent,
        [FromQuery(Name = "pageToken")] string? pageToken, [FromQuery(Name = "pageSize")] string? pageSize, CancellationToken cancellationToken)
    {
        if (!PageSize(pageSize, out int size, out IResult? invalid) || !Resume(http, pageToken, "iceberg-namespaces", out string? after, out invalid))
        {
            return invalid!;
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            if (!string.IsNullOrEmpty(parent))
            {
                // The project's namespaces have one level: an existing parent has no children.
                return FindNamespace(lakehouse, parent) is null ? NoNamespace(parent) : Json(new IcebergNamespaceList([], null));
            }

            List<string> names = [.. Namespaces(lakehouse).Where(n => after is null || string.CompareOrdinal(n, after) > 0)];
            List<string> page = [.. names.Take(size)];
            string? next = page.Count < names.Count ? UcPageToken.Of(http).Issue("iceberg-namespaces", UcPageToken.UserOf(http), page[^1]) : null;
            return Json(new IcebergNamespaceList([.. page.Select(n => (IReadOnlyList<string>)[n])], next));
        }
    }

    private static async Task<IResult> GetNamespaceAsync(ServerContext server, HttpContext http, [FromRoute(Name = "namespace")] string ns, CancellationToken cancellationToken)
    {
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            return FindNamespace(lakehouse, ns) is { } found ? Json(new IcebergNamespace([found], new Dictionary<string, string>())) : NoNamespace(ns);
        }
    }

    private static async Task<IResult> HeadNamespaceAsync(ServerContext server, HttpContext http, [FromRoute(Name = "namespace")] string ns, CancellationToken cancellationToken)
    {
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            return Results.StatusCode(FindNamespace(lakehouse, ns) is null ? StatusCodes.Status404NotFound : StatusCodes.Status204NoContent);
        }
    }

    private static async Task<IResult> ListTablesAsync(
        ServerContext server, HttpContext http, [FromRoute(Name = "namespace")] string ns,
        [FromQuery(Name = "pageToken")] string? pageToken, [FromQuery(Name = "pageSize")] string? pageSize, CancellationToken cancellationToken)
    {
        if (!PageSize(pageSize, out int size, out IResult? invalid))
        {
            return invalid!;
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            if (FindNamespace(lakehouse, ns) is not { } found)
            {
                return NoNamespace(ns);
            }

            string listing = "iceberg-tables:" + found;
            if (!Resume(http, pageToken, listing, out string? after, out invalid))
            {
                return invalid!;
            }

            var tables = new List<IcebergTableIdentifier>();
            string? next = null;
            foreach (TableName name in lakehouse.TableNames
                .Where(t => string.Equals(t.Namespace, found, StringComparison.OrdinalIgnoreCase))
                .OrderBy(t => t.Name, StringComparer.Ordinal)
                .Where(t => after is null || string.CompareOrdinal(t.Name, after) > 0))
            {
                // Only tables an Iceberg reader can load: built, with UniForm enabled.
                if (await lakehouse.DescribeForEnginesAsync(name, cancellationToken).ConfigureAwait(false) is not { } table
                    || !UniForm.IsEnabled(table.Snapshot.Metadata.Configuration))
                {
                    continue;
                }

                if (tables.Count == size)
                {
                    next = UcPageToken.Of(http).Issue(listing, UcPageToken.UserOf(http), tables[^1].Name);
                    break;
                }

                tables.Add(new IcebergTableIdentifier([found], name.Name));
            }

            return Json(new IcebergTableList(tables, next));
        }
    }

    private static async Task<IResult> LoadTableAsync(
        ServerContext server, HttpContext http, [FromRoute(Name = "namespace")] string ns, [FromRoute(Name = "table")] string table, CancellationToken cancellationToken)
    {
        if (!VendingAsked(http, out bool vend, out IResult? invalid))
        {
            return invalid!;
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            // A reader asking for credentials is refused by the issuer, which audits the refusal; one who does not is refused here.
            (IResult? refused, TableForEngines? found, IcebergMetadataFile? metadata) = await ResolveAsync(lakehouse, ns, table, refuseNarrowed: !vend, cancellationToken).ConfigureAwait(false);
            if (refused is not null)
            {
                if (vend)
                {
                    // Probing for credentials is on record too, as with Unity Catalog's unknown table ids.
                    await server.Credentials.RecordRefusalAsync(UnityCatalogEndpoints.Requester(http), "iceberg:" + Shorten(ns) + "." + Shorten(table), StorageAccess.Read,
                        new MedallionException(ErrorCode.TableCredentialsPathUnknown, $"Table '{Shorten(ns)}.{Shorten(table)}' does not exist or is not one you may read.")).ConfigureAwait(false);
                }

                return refused;
            }

            (IReadOnlyDictionary<string, string> config, IReadOnlyList<IcebergStorageCredential>? credentials, IResult? failed) = vend
                ? await VendAsync(server, http, lakehouse, found!, cancellationToken).ConfigureAwait(false)
                : (new Dictionary<string, string>(), null, null);
            if (failed is not null)
            {
                return failed;
            }

            using JsonDocument document = JsonDocument.Parse(metadata!.Json);
            return Json(new IcebergLoadTableResult(found!.StorageUri.TrimEnd('/') + "/" + metadata.Key, document.RootElement.Clone(), config, credentials));
        }
    }

    private static async Task<IResult> HeadTableAsync(
        ServerContext server, HttpContext http, [FromRoute(Name = "namespace")] string ns, [FromRoute(Name = "table")] string table, CancellationToken cancellationToken)
    {
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            (IResult? refused, _, _) = await ResolveAsync(lakehouse, ns, table, refuseNarrowed: true, cancellationToken).ConfigureAwait(false);
            return Results.StatusCode(refused is IStatusCodeHttpResult { StatusCode: int status } ? status : StatusCodes.Status204NoContent);
        }
    }

    /// <summary>
    /// The table <paramref name="ns"/>.<paramref name="table"/> as loadTable answers it: its description and newest Iceberg
    /// metadata, or the error that answers instead (no such namespace or table, not UniForm, not converted yet, or, when
    /// <paramref name="refuseNarrowed"/>, refused to a reader whose reading is narrowed).
    /// </summary>
    private static async Task<(IResult? Refused, TableForEngines? Table, IcebergMetadataFile? Metadata)> ResolveAsync(
        Lakehouse lakehouse, string ns, string table, bool refuseNarrowed, CancellationToken cancellationToken)
    {
        if (FindNamespace(lakehouse, ns) is not { } found)
        {
            return (NoNamespace(ns), null, null);
        }

        string full = found + "." + table;
        TableName? name = lakehouse.TableNames.Cast<TableName?>().FirstOrDefault(t =>
            string.Equals(t!.Value.Namespace, found, StringComparison.OrdinalIgnoreCase) && string.Equals(t.Value.Name, table, StringComparison.OrdinalIgnoreCase));
        if (name is null || await lakehouse.DescribeForEnginesAsync(name.Value, cancellationToken).ConfigureAwait(false) is not { } described)
        {
            return (NoTable($"Table '{Shorten(full)}' does not exist."), null, null);
        }

        if (!UniForm.IsEnabled(described.Snapshot.Metadata.Configuration))
        {
            return (NoTable(
                $"Table '{name}' is a Delta table without UniForm, so it has no Iceberg metadata. Enable UniForm for it: in its model's config, " +
                $"table_properties with {UniForm.EnabledFormatsProperty}: iceberg and {UniForm.IcebergCompatV2Property}: true (for a table created with them); " +
                "Delta readers find it through the Unity Catalog API."), null, null);
        }

        if (refuseNarrowed && described.FileAccessRefusal is { } why)
        {
            return (Error(StatusCodes.Status403Forbidden, "ForbiddenException",
                $"Table '{name}' is not served through the Iceberg REST catalog to this reader: {why}. Query it through the SQL endpoint (the PostgreSQL protocol) instead."), null, null);
        }

        if (await lakehouse.FindIcebergMetadataAsync(name.Value, cancellationToken).ConfigureAwait(false) is not { } metadata)
        {
            return (NoTable(
                $"Table '{name}' enables UniForm but has no Iceberg metadata yet: its conversion after a commit failed (see the server's log and the medallion_uniform_conversions metric). The next commit to it writes the metadata."), null, null);
        }

        return (null, described, metadata);
    }

    private static IEnumerable<string> Namespaces(Lakehouse lakehouse) =>
        lakehouse.TableNames.Select(t => t.Namespace).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal);

    /// <summary>
    /// The reader's namespace named <paramref name="ns"/>; null for any other (a multi-level name, separated by the unit
    /// separator the spec uses, names none: the project's namespaces have one level). Names are matched against the
    /// project's, never used as paths.
    /// </summary>
    private static string? FindNamespace(Lakehouse lakehouse, string ns) =>
        ns.Length > MaxNameLength ? null : Namespaces(lakehouse).FirstOrDefault(n => string.Equals(n, ns, StringComparison.OrdinalIgnoreCase));

    private static bool PageSize(string? text, out int size, out IResult? invalid)
    {
        size = MaxPageSize;
        invalid = null;
        if (text is null)
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
        {
            invalid = Error(StatusCodes.Status400BadRequest, "BadRequestException", $"pageSize '{Shorten(text)}' is not a whole number of 1 or more (at most {MaxPageSize} are answered)");
            return false;
        }

        size = Math.Min(value, MaxPageSize);
        return true;
    }

    private static bool Resume(HttpContext http, string? token, string listing, out string? after, out IResult? invalid)
    {
        invalid = null;
        if (UcPageToken.TryResume(http, token, listing, out after))
        {
            return true;
        }

        invalid = Error(StatusCodes.Status400BadRequest, "BadRequestException",
            "pageToken is not one this server gave for this listing: pass the next-page-token of the previous page unchanged, for the same namespace, or leave it out to start from the first page");
        return false;
    }

    private static IResult NoNamespace(string ns) =>
        Error(StatusCodes.Status404NotFound, "NoSuchNamespaceException", $"Namespace '{Shorten(ns.Replace('\u001f', '.'))}' does not exist.");

    private static IResult NoTable(string message) => Error(StatusCodes.Status404NotFound, "NoSuchTableException", message);

    private static string Shorten(string name) => UnityCatalogEndpoints.Shorten(name);

    private static RouteHandlerBuilder ProducesIcebergErrors(this RouteHandlerBuilder route, params int[] statuses) =>
        route.ProducesErrors<IcebergErrorResponse>(statuses);

    private static IResult Json<T>(T value) => Results.Json(value, s_json);

    private static IResult Error(int status, string type, string message) =>
        Results.Json(new IcebergErrorResponse(new IcebergErrorModel(message, type, status)), s_json, statusCode: status);
}
