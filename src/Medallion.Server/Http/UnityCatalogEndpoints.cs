using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform;
using Medallion.Server.UnityCatalog;
using Medallion.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>
/// Unity Catalog's REST API, read side, under <c>/api/2.1/unity-catalog</c>: how Spark's UC connector, DuckDB's
/// <c>uc_catalog</c> extension and Daft find the project's tables and get temporary credentials for their files. The project is the one catalog, its namespaces are
/// schemas, and each built Delta table is an <c>EXTERNAL</c> table of format <c>DELTA</c> at its storage URI.
/// </summary>
/// <remarks>
/// Callers sign in as for the rest of the API (an API token, HTTP Basic, the web UI's session) and see what their SQL
/// reads: a table they may not read is answered exactly as one that does not exist, a schema without a table they may
/// read is not there, and a table's columns are those granted to them. Errors have Unity Catalog's shape
/// (<c>error_code</c>, <c>message</c>) and status. Besides reads, only temporary credentials are served
/// (<c>UnityCatalogEndpoints.Credentials.cs</c>); the Delta REST routes answer 404, so clients fall back to these;
/// the Iceberg REST catalog below <c>/iceberg/v1</c> is <see cref="IcebergRestEndpoints"/>.
/// </remarks>
internal static partial class UnityCatalogEndpoints
{
    /// <summary>Where the API lives, as clients build it from the server's address.</summary>
    public const string Prefix = "/api/2.1/unity-catalog";

    /// <summary>The most tables in one page (the document's maximum of <c>max_results</c> for tables), and the page length for <c>max_results=0</c>.</summary>
    internal const int MaxTablesPerPage = 50;

    /// <summary>The most schemas or catalogs in one page (the document's maximum for them).</summary>
    internal const int MaxSchemasPerPage = 1000;

    /// <summary>Unity Catalog limits a name to 255 characters; a longer one cannot name anything.</summary>
    private const int MaxNameLength = 255;

    private const string Tag = "unity-catalog";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.General)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        // Anonymous to the server's fallback policy, whose challenge answers RFC 9457 problems: this API answers its
        // clients' error shape, so it authenticates in its own filter.
        RouteGroupBuilder uc = app.MapGroup(Prefix).AllowAnonymous().AddEndpointFilter(RequireUserAsync).WithTags(Tag);
        uc.MapGet("/catalogs", ListCatalogs)
            .WithName("UnityCatalogListCatalogs").Produces<UcCatalogList>().ProducesUcErrors(StatusCodes.Status400BadRequest)
            .WithDescription("Unity Catalog's listCatalogs: the project, its one catalog.");
        uc.MapGet("/catalogs/{name}", (ServerContext server, string name) =>
                IsCatalog(server, name) ? Json(Catalog(server)) : NoCatalog(server, name))
            .WithName("UnityCatalogGetCatalog").Produces<UcCatalogInfo>().ProducesUcErrors(StatusCodes.Status404NotFound)
            .WithDescription("Unity Catalog's getCatalog: the project, by its name.");
        uc.MapGet("/schemas", ListSchemasAsync)
            .WithName("UnityCatalogListSchemas").Produces<UcSchemaList>().ProducesUcErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithDescription("Unity Catalog's listSchemas: the project's namespaces that hold a table the caller may read, by name; paged by max_results (at most 1000) and next_page_token.");
        uc.MapGet("/schemas/{full_name}", GetSchemaAsync)
            .WithName("UnityCatalogGetSchema").Produces<UcSchemaInfo>().ProducesUcErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithDescription("Unity Catalog's getSchema, by catalog.schema.");
        uc.MapGet("/tables", ListTablesAsync)
            .WithName("UnityCatalogListTables").Produces<UcTableList>().ProducesUcErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithDescription("Unity Catalog's listTables: the built tables of a schema the caller may read, by name, with their columns; every table without max_results, else pages of at most 50 (0: 50) with next_page_token.");
        uc.MapGet("/tables/{full_name}", GetTableAsync)
            .WithName("UnityCatalogGetTable").Produces<UcTableInfo>().ProducesUcErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithDescription("Unity Catalog's getTable, by catalog.schema.table: a table the caller may not read answers TABLE_DOES_NOT_EXIST, as one that does not exist does.");
        MapCredentials(uc);
        // Clients probe the Delta REST API first and fall back to the routes above when the server has none.
        uc.MapGet("/delta/v1/config", () => NotServed("the Delta REST API (/delta/v1) is not served here; use the Unity Catalog routes (/catalogs, /schemas, /tables)"))
            .WithName("UnityCatalogDeltaConfig").ProducesUcErrors(StatusCodes.Status404NotFound)
            .WithDescription("404 in Unity Catalog's error shape: the Delta REST API is not served, and clients fall back to the catalog routes.");
        uc.MapMethods("/{**rest}", [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete], (HttpContext http) =>
                NotServed($"{http.Request.Method} {Prefix}/{Shorten(http.Request.RouteValues["rest"] as string ?? string.Empty)} is not served: this server answers the read side of the catalog API (GET /catalogs, /schemas, /tables) and temporary credentials (POST /temporary-table-credentials, /temporary-path-credentials)"))
            .ExcludeFromDescription();
    }

    /// <summary>
    /// Lets the request through when it is signed in: an API token or HTTP Basic (the API's scheme), else the web UI's
    /// session; otherwise answers 401 <c>UNAUTHENTICATED</c> saying why, as the rest of the API does.
    /// </summary>
    private static async ValueTask<object?> RequireUserAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        return await SignInAsync(context.HttpContext).ConfigureAwait(false) is { } failure
            ? Error(StatusCodes.Status401Unauthorized, "UNAUTHENTICATED", failure)
            : await next(context).ConfigureAwait(false);
    }

    /// <summary>
    /// Signs the request in as the rest of the API does (an API token or HTTP Basic, else the web UI's session); null when
    /// it is signed in, else why not (the catalog APIs answer it as 401 in their own error shape, with the challenge set).
    /// </summary>
    internal static async Task<string?> SignInAsync(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated == true)
        {
            return null;
        }

        AuthenticateResult api = await http.AuthenticateAsync(ApiAuthenticationHandler.SchemeName).ConfigureAwait(false);
        AuthenticateResult session = api.Succeeded ? api : await http.AuthenticateAsync(WebUi.CookieScheme).ConfigureAwait(false);
        if (!session.Succeeded)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"medallion\"";
            return api.Failure?.Message ?? "authentication required: pass an API token (Authorization: Bearer <token>; medallion token create makes one) or a user's password (HTTP Basic)";
        }

        http.User = session.Principal!;
        return null;
    }

    private static IResult ListCatalogs(
        ServerContext server, HttpContext http, [FromQuery(Name = "max_results")] string? maxResults, [FromQuery(Name = "page_token")] string? pageToken)
    {
        // One catalog fits any page, so no token is ever given: any token is refused as not this server's.
        if (!PageSize(maxResults, MaxSchemasPerPage, out _, out IResult? invalid) || !Resume(http, pageToken, "catalogs", out _, out invalid))
        {
            return invalid!;
        }

        return Json(new UcCatalogList([Catalog(server)], null));
    }

    private static async Task<IResult> ListSchemasAsync(
        ServerContext server, HttpContext http, [FromQuery(Name = "catalog_name")] string? catalogName,
        [FromQuery(Name = "max_results")] string? maxResults, [FromQuery(Name = "page_token")] string? pageToken, CancellationToken cancellationToken)
    {
        if (Required("catalog_name", catalogName) is { } missing)
        {
            return missing;
        }

        if (!IsCatalog(server, catalogName!))
        {
            return NoCatalog(server, catalogName!);
        }

        if (!PageSize(maxResults, MaxSchemasPerPage, out int? size, out IResult? invalid))
        {
            return invalid!;
        }

        string listing = "schemas:" + server.Project.Name;
        if (!Resume(http, pageToken, listing, out string? after, out invalid))
        {
            return invalid!;
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            List<string> names = [.. Schemas(lakehouse).Where(s => after is null || string.CompareOrdinal(s, after) > 0)];
            List<string> page = [.. names.Take(size ?? names.Count)];
            string? next = page.Count < names.Count ? UcPageToken.Of(http).Issue(listing, UcPageToken.UserOf(http), page[^1]) : null;
            return Json(new UcSchemaList([.. page.Select(s => Schema(server, s))], next));
        }
    }

    private static async Task<IResult> GetSchemaAsync(ServerContext server, HttpContext http, [FromRoute(Name = "full_name")] string fullName, CancellationToken cancellationToken)
    {
        if (TooLong(fullName) is { } tooLong)
        {
            return tooLong;
        }

        (string catalog, string? schema) = SplitFirst(fullName);
        if (!IsCatalog(server, catalog))
        {
            return NoCatalog(server, catalog);
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            return FindSchema(lakehouse, schema) is { } found ? Json(Schema(server, found)) : NoSchema(fullName);
        }
    }

    private static async Task<IResult> ListTablesAsync(
        ServerContext server, HttpContext http, [FromQuery(Name = "catalog_name")] string? catalogName, [FromQuery(Name = "schema_name")] string? schemaName,
        [FromQuery(Name = "max_results")] string? maxResults, [FromQuery(Name = "page_token")] string? pageToken, CancellationToken cancellationToken)
    {
        if ((Required("catalog_name", catalogName) ?? Required("schema_name", schemaName)) is { } missing)
        {
            return missing;
        }

        if (TooLong(schemaName!) is { } tooLong)
        {
            return tooLong;
        }

        if (!IsCatalog(server, catalogName!))
        {
            return NoCatalog(server, catalogName!);
        }

        if (!PageSize(maxResults, MaxTablesPerPage, out int? size, out IResult? invalid))
        {
            return invalid!;
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            if (FindSchema(lakehouse, schemaName) is not { } schema)
            {
                return NoSchema(server.Project.Name + "." + schemaName);
            }

            string listing = $"tables:{server.Project.Name}.{schema}";
            if (!Resume(http, pageToken, listing, out string? after, out invalid))
            {
                return invalid!;
            }

            var tables = new List<UcTableInfo>();
            string? next = null;
            foreach (TableName name in lakehouse.TableNames
                .Where(t => string.Equals(t.Namespace, schema, StringComparison.OrdinalIgnoreCase))
                .OrderBy(t => t.Name, StringComparer.Ordinal)
                .Where(t => after is null || string.CompareOrdinal(t.Name, after) > 0))
            {
                // A table with no Delta version has nothing for an engine to read: it is not listed until its first build.
                if (await lakehouse.DescribeForEnginesAsync(name, cancellationToken).ConfigureAwait(false) is not { } table)
                {
                    continue;
                }

                if (tables.Count == size)
                {
                    // One more built table: the page is full and another follows.
                    next = UcPageToken.Of(http).Issue(listing, UcPageToken.UserOf(http), tables[^1].Name);
                    break;
                }

                tables.Add(Table(server, table));
            }

            return Json(new UcTableList(tables, next));
        }
    }

    private static async Task<IResult> GetTableAsync(ServerContext server, HttpContext http, [FromRoute(Name = "full_name")] string fullName, CancellationToken cancellationToken)
    {
        if (TooLong(fullName) is { } tooLong)
        {
            return tooLong;
        }

        string[] parts = fullName.Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            return Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE",
                $"'{Shorten(fullName)}' is not a table's full name: write catalog.schema.table, e.g. {server.Project.Name}.silver.orders");
        }

        if (!IsCatalog(server, parts[0]))
        {
            return NoCatalog(server, parts[0]);
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            // The reader's tables only: one they may not read is answered as one the project does not have.
            TableName? name = lakehouse.TableNames.Cast<TableName?>().FirstOrDefault(t =>
                string.Equals(t!.Value.Namespace, parts[1], StringComparison.OrdinalIgnoreCase) && string.Equals(t.Value.Name, parts[2], StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                return NoTable(fullName);
            }

            return await lakehouse.DescribeForEnginesAsync(name.Value, cancellationToken).ConfigureAwait(false) is { } table
                ? Json(Table(server, table))
                : Error(StatusCodes.Status404NotFound, "TABLE_DOES_NOT_EXIST",
                    $"Table '{Shorten(fullName)}' has no Delta version yet: nothing has been written to it. Run the model or load the source that builds it.");
        }
    }

    private static UcCatalogInfo Catalog(ServerContext server) =>
        new(server.Project.Name, new Dictionary<string, string>(), StableId("catalog\n" + server.Project.Name), Comment: server.Project.Description);

    private static UcSchemaInfo Schema(ServerContext server, string schema) =>
        new(schema, server.Project.Name, server.Project.Name + "." + schema, new Dictionary<string, string>(), StableId("schema\n" + server.Project.Name + "\n" + schema));

    private static UcTableInfo Table(ServerContext server, TableForEngines table)
    {
        Delta.Actions.Metadata metadata = table.Snapshot.Metadata;
        return new UcTableInfo(
            table.Summary.Name.Name,
            server.Project.Name,
            table.Summary.Name.Namespace,
            "EXTERNAL",
            "DELTA",
            UcColumns.Of(table.Snapshot.Schema, metadata.PartitionColumns, table.Columns),
            table.StorageUri,
            metadata.Configuration.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal),
            table.CreatedAt.ToUnixTimeMilliseconds(),
            table.Snapshot.Timestamp.ToUnixTimeMilliseconds(),
            metadata.Id,
            Comment: table.Summary.Description,
            Owner: table.Summary.Owner);
    }

    /// <summary>The namespaces holding a table the reader may read, by name.</summary>
    private static IEnumerable<string> Schemas(Lakehouse lakehouse) =>
        lakehouse.TableNames.Select(t => t.Namespace).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal);

    private static string? FindSchema(Lakehouse lakehouse, string? schema) =>
        schema is null ? null : Schemas(lakehouse).FirstOrDefault(s => string.Equals(s, schema, StringComparison.OrdinalIgnoreCase));

    private static bool IsCatalog(ServerContext server, string name) => string.Equals(name, server.Project.Name, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads <c>max_results</c> as the document defines it: absent, every item (as DuckDB's extension, which does not
    /// page, needs); 0, the server's page length; above it, at most <paramref name="max"/>; negative or not a number, an error.
    /// </summary>
    private static bool PageSize(string? text, int max, out int? size, out IResult? invalid)
    {
        size = null;
        invalid = null;
        if (text is null)
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < 0)
        {
            invalid = Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"max_results '{Shorten(text)}' is not a number of 0 or more (0 asks for the server's page length, {max})");
            return false;
        }

        size = value == 0 ? max : Math.Min(value, max);
        return true;
    }

    /// <summary>Where a page resumes: the start without a token, else the name the token holds; a token this server did not give for this listing and user is refused.</summary>
    private static bool Resume(HttpContext http, string? token, string listing, out string? after, out IResult? invalid)
    {
        invalid = null;
        if (UcPageToken.TryResume(http, token, listing, out after))
        {
            return true;
        }

        invalid = Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE",
            "page_token is not one this server gave for this listing: pass the next_page_token of the previous page unchanged, with the same catalog_name and schema_name, or leave it out to start from the first page");
        return false;
    }

    private static IResult? Required(string parameter, string? value) =>
        string.IsNullOrWhiteSpace(value) ? Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"{parameter} is required") : null;

    private static IResult? TooLong(string name) =>
        name.Length > 3 * MaxNameLength + 2
            ? Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"the name '{Shorten(name)}' is {name.Length} characters long; a name has at most {MaxNameLength} characters in each part")
            : null;

    private static (string Catalog, string? Schema) SplitFirst(string fullName)
    {
        int dot = fullName.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (fullName, null) : (fullName[..dot], fullName[(dot + 1)..]);
    }

    private static IResult NoCatalog(ServerContext server, string name) =>
        Error(StatusCodes.Status404NotFound, "CATALOG_DOES_NOT_EXIST", $"Catalog '{Shorten(name)}' does not exist: this server's one catalog is its project, '{server.Project.Name}'.");

    private static IResult NoSchema(string fullName) =>
        Error(StatusCodes.Status404NotFound, "SCHEMA_DOES_NOT_EXIST", $"Schema '{Shorten(fullName)}' does not exist.");

    private static IResult NoTable(string fullName) =>
        Error(StatusCodes.Status404NotFound, "TABLE_DOES_NOT_EXIST", $"Table '{Shorten(fullName)}' does not exist.");

    private static IResult NotServed(string message) => Error(StatusCodes.Status404NotFound, "ENDPOINT_NOT_FOUND", message);

    /// <summary>A name as an error quotes it: at most 100 characters, so a hostile one does not fill the answer.</summary>
    internal static string Shorten(string name) => name.Length <= 100 ? name : name[..100] + "...";

    /// <summary>A catalog or schema has no id of its own here: a GUID derived from its name stays the same across restarts and servers.</summary>
    private static string StableId(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return new Guid(hash[..16], bigEndian: true).ToString();
    }

    /// <summary>Describes the error answers of an operation (and the 401 every operation may give) in Unity Catalog's shape.</summary>
    private static RouteHandlerBuilder ProducesUcErrors(this RouteHandlerBuilder route, params int[] statuses) => route.ProducesErrors<UcError>(statuses);

    /// <summary>Describes the error answers of an operation, and the 401 every operation of a catalog API may give, as <typeparamref name="TError"/>.</summary>
    internal static RouteHandlerBuilder ProducesErrors<TError>(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (int status in statuses.Append(StatusCodes.Status401Unauthorized))
        {
            route.Produces<TError>(status);
        }

        return route;
    }

    private static IResult Json<T>(T value) => Results.Json(value, s_json);

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new UcError(code, message, [new UcErrorDetail("type.googleapis.com/google.rpc.ErrorInfo", code)]), s_json, statusCode: status);
}
