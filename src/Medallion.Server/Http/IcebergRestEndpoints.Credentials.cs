using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Platform;
using Medallion.Platform.Access;
using Medallion.Server.Iceberg;
using Medallion.Storage;
using Microsoft.AspNetCore.Http;

namespace Medallion.Server.Http;

/// <summary>
/// Vended credentials on loadTable: a client that sends <c>X-Iceberg-Access-Delegation: vended-credentials</c> gets
/// read credentials for the table's files from the same <see cref="TableCredentialIssuer"/> as Unity Catalog's
/// temporary-table-credentials (governed and audited there), as the FileIO properties Iceberg's clients read, in both
/// <c>config</c> and <c>storage-credentials</c>.
/// </summary>
/// <remarks>
/// The header's other mechanisms (<c>remote-signing</c>, or one a newer client knows) are ignored, as the specification
/// lets a server supply access "via any or none of the requested mechanisms". So are stores that cannot vend (a local
/// table, a store without a role, key or credentials to issue from): the table is answered without credentials and the client reads
/// with its own, the refusal being on record in the audit.
/// </remarks>
internal static partial class IcebergRestEndpoints
{
    /// <summary>The request header listing the access mechanisms a client supports.</summary>
    internal const string AccessDelegationHeader = "X-Iceberg-Access-Delegation";

    /// <summary>The longest header value read: the two mechanisms the specification names, many times over.</summary>
    private const int MaxDelegationLength = 256;

    /// <summary>Whether the request asks for vended credentials, or a 400 when its header is not a list of mechanisms.</summary>
    private static bool VendingAsked(HttpContext http, out bool vend, out IResult? invalid)
    {
        vend = false;
        invalid = null;
        Microsoft.Extensions.Primitives.StringValues values = http.Request.Headers[AccessDelegationHeader];
        if (values.Count == 0)
        {
            return true;
        }

        string header = string.Join(',', (IEnumerable<string?>)values);
        if (header.Length > MaxDelegationLength)
        {
            invalid = Error(StatusCodes.Status400BadRequest, "BadRequestException",
                $"{AccessDelegationHeader} is {header.Length} characters long; it is a comma-separated list of access mechanisms (vended-credentials, remote-signing) of at most {MaxDelegationLength}");
            return false;
        }

        foreach (string mechanism in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            vend |= string.Equals(mechanism, "vended-credentials", StringComparison.OrdinalIgnoreCase);
        }

        return true;
    }

    /// <summary>Read credentials for <paramref name="table"/>'s files as Iceberg FileIO properties, or the error that answers instead.</summary>
    private static async Task<(IReadOnlyDictionary<string, string> Config, IReadOnlyList<IcebergStorageCredential>? Credentials, IResult? Failed)> VendAsync(
        ServerContext server, HttpContext http, Lakehouse lakehouse, TableForEngines table, CancellationToken cancellationToken)
    {
        var none = new Dictionary<string, string>();
        try
        {
            IssuedTableCredentials issued = await server.Credentials.IssueAsync(lakehouse, table, StorageAccess.Read, UnityCatalogEndpoints.Requester(http), cancellationToken).ConfigureAwait(false);
            if (issued.Credentials is not { } credentials)
            {
                // A local table: its files are read where they are, with no credentials.
                return (none, null, null);
            }

            Dictionary<string, string> config = FileIoProperties(credentials);
            return (config, [new IcebergStorageCredential(issued.Location, config)], null);
        }
        catch (MedallionException e) when (e.Code is ErrorCode.StorageCredentialsUnsupported or ErrorCode.StorageCredentialsNotConfigured)
        {
            return (none, null, null);
        }
        catch (MedallionException e)
        {
            return (none, null, e.Code switch
            {
                ErrorCode.TableCredentialsRestricted or ErrorCode.TableCredentialsWriteDenied or ErrorCode.TableCredentialsPathUnknown =>
                    Error(StatusCodes.Status403Forbidden, "ForbiddenException", $"{e.CodeText}: {e.Message}"),
                _ when e.Code is ErrorCode.StorageCredentialsFailed || e.Kind is ErrorKind.Unavailable =>
                    Error(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailableException", $"{e.CodeText}: {e.Message}"),
                _ => Error(StatusCodes.Status400BadRequest, "BadRequestException", $"{e.CodeText}: {e.Message}"),
            });
        }
    }

    /// <summary>
    /// Credentials as the properties of Iceberg's FileIOs: S3FileIO's <c>s3.access-key-id</c>, <c>s3.secret-access-key</c>,
    /// <c>s3.session-token</c> and <c>s3.session-token-expires-at-ms</c>; ADLSFileIO's <c>adls.sas-token.&lt;host&gt;</c> and
    /// <c>adls.sas-token-expires-at-ms.&lt;host&gt;</c> for the account's host; GCSFileIO's <c>gcs.oauth2.token</c> and
    /// <c>gcs.oauth2.token-expires-at</c>.
    /// </summary>
    internal static Dictionary<string, string> FileIoProperties(StorageCredentials credentials)
    {
        string expiresAtMs = credentials.ExpiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        if (credentials.S3 is { } s3)
        {
            config["s3.access-key-id"] = s3.AccessKeyId;
            config["s3.secret-access-key"] = s3.SecretAccessKey;
            config["s3.session-token"] = s3.SessionToken;
            config["s3.session-token-expires-at-ms"] = expiresAtMs;
        }
        else if (credentials.AzureSasToken is { } sas && credentials.AzureAccount is { } account)
        {
            string host = account + ".dfs.core.windows.net";
            config["adls.sas-token." + host] = sas;
            config["adls.sas-token-expires-at-ms." + host] = expiresAtMs;
        }
        else if (credentials.GcpOAuthToken is { } token)
        {
            config["gcs.oauth2.token"] = token;
            config["gcs.oauth2.token-expires-at"] = expiresAtMs;
        }

        return config;
    }
}
