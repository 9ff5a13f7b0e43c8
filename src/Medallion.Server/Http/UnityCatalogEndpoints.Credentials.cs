using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Platform;
using Medallion.Platform.Access;
using Medallion.Server.UnityCatalog;
using Medallion.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>
/// Unity Catalog's temporary credentials: <c>POST /temporary-table-credentials</c> (a table by its id) and
/// <c>POST /temporary-path-credentials</c> (a table by its location), answered by the Platform's
/// <see cref="TableCredentialIssuer"/>, which decides who gets them and audits each.
/// </summary>
internal static partial class UnityCatalogEndpoints
{
    /// <summary>The largest request body taken: the document's requests are two short members.</summary>
    private const int MaxCredentialRequestBytes = 16 * 1024;

    private static void MapCredentials(RouteGroupBuilder uc)
    {
        uc.MapPost("/temporary-table-credentials", TableCredentialsAsync)
            .WithName("UnityCatalogTemporaryTableCredentials").Produces<UcTemporaryCredentials>()
            .ProducesUcErrors(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status501NotImplemented, StatusCodes.Status503ServiceUnavailable)
            .WithDescription("Unity Catalog's generateTemporaryTableCredentials: {table_id, operation: READ|READ_WRITE} gives short-lived credentials limited to the table's files (S3 through STS, Azure a SAS, GCS a downscoped token; none for a local table). "
                + "READ needs the whole table unmasked (a reader through masks, a row filter or some columns is refused with PERMISSION_DENIED and sent to the SQL endpoint), READ_WRITE an admin; each is audited.");
        uc.MapPost("/temporary-path-credentials", PathCredentialsAsync)
            .WithName("UnityCatalogTemporaryPathCredentials").Produces<UcTemporaryCredentials>()
            .ProducesUcErrors(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status501NotImplemented, StatusCodes.Status503ServiceUnavailable)
            .WithDescription("Unity Catalog's generateTemporaryPathCredentials: {url, operation: PATH_READ|PATH_READ_WRITE|PATH_CREATE_TABLE} for the table at or above url, governed as the table's; PATH_CREATE_TABLE is refused (Medallion's models and sources make its tables).");
    }

    private static async Task<IResult> TableCredentialsAsync(ServerContext server, HttpContext http, CancellationToken cancellationToken)
    {
        (JsonElement body, string? tableId, IResult? invalid) = await ReadRequestAsync(http, "table_id", cancellationToken).ConfigureAwait(false);
        if (tableId is null)
        {
            return invalid!;
        }

        if (Operation(body, ["READ", "READ_WRITE"], out invalid) is not { } operation)
        {
            return invalid!;
        }

        StorageAccess access = operation == "READ_WRITE" ? StorageAccess.ReadWrite : StorageAccess.Read;
        AccessActor requester = Requester(http);
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            // A table the caller may not read is not found, exactly as one that does not exist.
            if (await TableCredentialIssuer.FindByIdAsync(lakehouse, tableId, cancellationToken).ConfigureAwait(false) is not { } table)
            {
                var unknown = new MedallionException(ErrorCode.TableCredentialsPathUnknown, $"Table with id '{Shorten(tableId)}' does not exist.");
                await server.Credentials.RecordRefusalAsync(requester, "table_id:" + Shorten(tableId), access, unknown).ConfigureAwait(false);
                return Error(StatusCodes.Status404NotFound, "TABLE_DOES_NOT_EXIST", unknown.Message);
            }

            return await IssueAsync(server, lakehouse, table, access, requester, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<IResult> PathCredentialsAsync(ServerContext server, HttpContext http, CancellationToken cancellationToken)
    {
        (JsonElement body, string? url, IResult? invalid) = await ReadRequestAsync(http, "url", cancellationToken).ConfigureAwait(false);
        if (url is null)
        {
            return invalid!;
        }

        if (!IsPlainLocation(url))
        {
            return Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE",
                $"url '{Shorten(url)}' is not a storage location: write a table's location as getTable's storage_location gives it (s3://bucket/path, abfss://..., file:///...), without '.' or '..' segments, query or fragment");
        }

        if (Operation(body, ["PATH_READ", "PATH_READ_WRITE", "PATH_CREATE_TABLE"], out invalid) is not { } operation)
        {
            return invalid!;
        }

        if (operation == "PATH_CREATE_TABLE")
        {
            return Error(StatusCodes.Status403Forbidden, "PERMISSION_DENIED",
                $"{ErrorCodes.Format(ErrorCode.TableCredentialsWriteDenied)}: no credentials to create a table at '{Shorten(url)}': Medallion's tables are made by its models and sources, not by other engines.");
        }

        StorageAccess access = operation == "PATH_READ_WRITE" ? StorageAccess.ReadWrite : StorageAccess.Read;
        AccessActor requester = Requester(http);
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, UcPageToken.UserOf(http), cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            if (await TableCredentialIssuer.FindByLocationAsync(lakehouse, url, cancellationToken).ConfigureAwait(false) is not { } table)
            {
                // Whether a table is there that the caller may not read is not said: the answer is the same.
                var unknown = new MedallionException(ErrorCode.TableCredentialsPathUnknown,
                    $"No credentials for '{Shorten(url)}': it is not the location of a table you may read, nor inside one. Credentials are issued for a table's files only.");
                await server.Credentials.RecordRefusalAsync(requester, Shorten(url), access, unknown).ConfigureAwait(false);
                return Error(StatusCodes.Status403Forbidden, "PERMISSION_DENIED", $"{unknown.CodeText}: {unknown.Message}");
            }

            return await IssueAsync(server, lakehouse, table, access, requester, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<IResult> IssueAsync(ServerContext server, Lakehouse lakehouse, TableForEngines table, StorageAccess access, AccessActor requester, CancellationToken cancellationToken)
    {
        try
        {
            IssuedTableCredentials issued = await server.Credentials.IssueAsync(lakehouse, table, access, requester, cancellationToken).ConfigureAwait(false);
            StorageCredentials? credentials = issued.Credentials;
            return Json(new UcTemporaryCredentials(
                credentials?.S3 is { } s3 ? new UcAwsCredentials(s3.AccessKeyId, s3.SecretAccessKey, s3.SessionToken) : null,
                credentials?.AzureSasToken is { } sas ? new UcAzureSas(sas) : null,
                credentials?.GcpOAuthToken is { } token ? new UcGcpOauthToken(token) : null,
                credentials?.ExpiresAt.ToUnixTimeMilliseconds(),
                issued.Location));
        }
        catch (MedallionException e)
        {
            (int status, string code) = e.Code switch
            {
                ErrorCode.TableCredentialsRestricted or ErrorCode.TableCredentialsWriteDenied or ErrorCode.TableCredentialsPathUnknown => (StatusCodes.Status403Forbidden, "PERMISSION_DENIED"),
                ErrorCode.StorageCredentialsUnsupported => (StatusCodes.Status501NotImplemented, "NOT_IMPLEMENTED"),
                ErrorCode.StorageCredentialsFailed => (StatusCodes.Status503ServiceUnavailable, "TEMPORARILY_UNAVAILABLE"),
                _ when e.Kind is ErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "TEMPORARILY_UNAVAILABLE"),
                _ => (StatusCodes.Status400BadRequest, "FAILED_PRECONDITION"),
            };
            return Error(status, code, $"{e.CodeText}: {e.Message}");
        }
    }

    /// <summary>The request's JSON object, or a 400 saying what is wrong with it.</summary>
    private static async Task<(JsonElement Body, IResult? Invalid)> ReadBodyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (http.Request.ContentLength > MaxCredentialRequestBytes)
        {
            return (default, Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"the request body is {http.Request.ContentLength} bytes; a credentials request has at most {MaxCredentialRequestBytes}"));
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[4096];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxCredentialRequestBytes)
            {
                return (default, Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"the request body is longer than {MaxCredentialRequestBytes} bytes, the most a credentials request has"));
            }
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (default, Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"the request body is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object"));
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : string.Empty;
            return (default, Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", buffer.Length == 0 ? "the request has no body: send a JSON object" : $"the request body is not valid JSON{where}"));
        }
    }

    /// <summary>The request's JSON object and its required member <paramref name="key"/>, or a 400 saying what is wrong with them.</summary>
    private static async Task<(JsonElement Body, string? Key, IResult? Invalid)> ReadRequestAsync(HttpContext http, string key, CancellationToken cancellationToken)
    {
        (JsonElement body, IResult? invalid) = await ReadBodyAsync(http, cancellationToken).ConfigureAwait(false);
        return invalid is not null ? (body, null, invalid) : (body, Member(body, key, out invalid), invalid);
    }

    /// <summary>A required string member of the request, or null with a 400 naming it.</summary>
    private static string? Member(JsonElement body, string name, out IResult? invalid)
    {
        invalid = null;
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            invalid = Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"{name} is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
        {
            invalid = Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"{name} must be a non-empty string, not {(value.GetRawText() is { Length: <= 100 } raw ? raw : "a " + value.ValueKind.ToString().ToLowerInvariant())}");
            return null;
        }

        return text;
    }

    /// <summary>The request's <c>operation</c>, one of <paramref name="accepted"/>, or null with a 400 saying which it may be.</summary>
    private static string? Operation(JsonElement body, string[] accepted, out IResult? invalid)
    {
        string? operation = Member(body, "operation", out invalid);
        if (operation is not null && !accepted.Contains(operation, StringComparer.Ordinal))
        {
            invalid = Error(StatusCodes.Status400BadRequest, "INVALID_PARAMETER_VALUE", $"operation '{Shorten(operation)}' is not one of {string.Join(", ", accepted)}");
            return null;
        }

        return operation;
    }

    /// <summary>True for a location URI that says plainly where it is: a scheme, no dot segments, no query or fragment.</summary>
    private static bool IsPlainLocation(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0 || url.Length > 4096 || url.AsSpan().IndexOfAny('?', '#', '\\') >= 0 || url.AsSpan().ContainsAny("\0\r\n"))
        {
            return false;
        }

        foreach (string segment in url[(scheme + 3)..].Split('/'))
        {
            if (segment is "." or "..")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Who asks for credentials, as the audit names them: the signed-in user, their client, through the API.</summary>
    internal static AccessActor Requester(HttpContext http) => new(AuditSource.User(http), AuditSource.Client(http), "api");
}
