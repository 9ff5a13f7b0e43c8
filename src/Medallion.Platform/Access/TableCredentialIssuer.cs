using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine;
using Medallion.Platform.Audit;
using Medallion.Storage;

namespace Medallion.Platform.Access;

/// <summary>
/// Issues another engine (Spark, DuckDB, Daft, Trino through the Unity Catalog or Iceberg REST APIs) short-lived
/// credentials for one table's files, governed as the user's SQL is: the one place that decides who gets them, asks the
/// table's store for them (<see cref="StorageResolver.IssueCredentialsAsync"/>) and audits each.
/// </summary>
/// <remarks>
/// <para>
/// Read credentials go to a user who reads the table in full: every column, unmasked, every row. A user who reads it
/// through a mask, a row filter or some of its columns is refused (<see cref="ErrorCode.TableCredentialsRestricted"/>):
/// the files hold every row and value, so direct access would bypass what their SQL enforces; they read through the SQL
/// endpoint instead. Write credentials go only to an admin (<c>admin</c> on the server): Medallion's grants give no one
/// else a write to a table (its models and sources write it, with their expectations and lineage), and a protected table
/// (the audit) is written by its owner alone.
/// </para>
/// <para>
/// Each issue and each refusal is one audit event (<c>credentials.issue</c>, the table as target, the operation, the
/// kind of credentials and their expiry), never the credentials themselves. A local table's files need no credentials:
/// its answer has none (as Unity Catalog's for a <c>file://</c> table) and is audited too.
/// </para>
/// </remarks>
public sealed class TableCredentialIssuer
{
    /// <summary>The audit action of an issue (or refusal).</summary>
    public const string AuditAction = "credentials.issue";

    private readonly CatalogStore _catalog;
    private readonly AuditLog _audit;

    /// <summary>Creates the issuer over the project's catalog (for who is an admin) and audit.</summary>
    public TableCredentialIssuer(CatalogStore catalog, AuditLog audit)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(audit);
        _catalog = catalog;
        _audit = audit;
    }

    /// <summary>
    /// The table of <paramref name="lakehouse"/> (opened as the requester) whose Delta table id is <paramref name="tableId"/>,
    /// among those the reader may read and that have a version; null when there is none.
    /// </summary>
    public static async Task<TableForEngines?> FindByIdAsync(Lakehouse lakehouse, string tableId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lakehouse);
        ArgumentNullException.ThrowIfNull(tableId);
        foreach (TableName name in lakehouse.TableNames)
        {
            if (await lakehouse.DescribeForEnginesAsync(name, cancellationToken).ConfigureAwait(false) is { } table
                && string.Equals(table.Snapshot.Metadata.Id, tableId, StringComparison.OrdinalIgnoreCase))
            {
                return table;
            }
        }

        return null;
    }

    /// <summary>
    /// The table of <paramref name="lakehouse"/> (opened as the requester) whose files are at or under
    /// <paramref name="url"/>'s location: the table whose root is <paramref name="url"/> or one of its folders; null when none.
    /// </summary>
    public static async Task<TableForEngines?> FindByLocationAsync(Lakehouse lakehouse, string url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lakehouse);
        ArgumentNullException.ThrowIfNull(url);
        string wanted = url.TrimEnd('/');
        foreach (TableName name in lakehouse.TableNames)
        {
            if (await lakehouse.DescribeForEnginesAsync(name, cancellationToken).ConfigureAwait(false) is { } table)
            {
                string root = table.StorageUri.TrimEnd('/');
                if (string.Equals(wanted, root, StringComparison.Ordinal) || wanted.StartsWith(root + "/", StringComparison.Ordinal))
                {
                    return table;
                }
            }
        }

        return null;
    }

    /// <summary>Issues credentials for <paramref name="table"/>'s files to <paramref name="requester"/>, or refuses them; audited either way.</summary>
    /// <param name="lakehouse">The lakehouse opened as the requester (its <see cref="Lakehouse.Reader"/> is theirs).</param>
    /// <param name="table">The table, as <paramref name="lakehouse"/> describes it.</param>
    /// <param name="access">What the credentials allow.</param>
    /// <param name="requester">Who asks, and through what.</param>
    /// <param name="cancellationToken">Stops the issuing.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.TableCredentialsRestricted"/> for a reader through masks, a row filter or some columns;
    /// <see cref="ErrorCode.TableCredentialsWriteDenied"/> for write credentials to a user who may not write the table;
    /// and the store's own (<see cref="StorageResolver.IssueCredentialsAsync"/>).
    /// </exception>
    public async Task<IssuedTableCredentials> IssueAsync(Lakehouse lakehouse, TableForEngines table, StorageAccess access, AccessActor requester, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lakehouse);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(requester);
        TableName name = table.Summary.Name;
        try
        {
            if (!lakehouse.Reader.CanRead(name))
            {
                throw new MedallionException(ErrorCode.TableCredentialsPathUnknown, $"Table '{name}' does not exist or is not one you may read.");
            }

            if (table.FileAccessRefusal is { } why)
            {
                throw new MedallionException(ErrorCode.TableCredentialsRestricted,
                    $"No credentials for the files of '{name}': {why}.\n"
                    + "Help: read it through Medallion's SQL endpoint (PostgreSQL protocol), which applies them.");
            }

            if (access == StorageAccess.ReadWrite)
            {
                await RequireWriterAsync(name, table, requester.User, cancellationToken).ConfigureAwait(false);
            }

            StorageCredentials? credentials = await lakehouse.Project.Stores.IssueCredentialsAsync(table.Location, access, requester.User, cancellationToken).ConfigureAwait(false);
            var issued = new IssuedTableCredentials(name, table.StorageUri.TrimEnd('/'), access, credentials);
            await RecordAsync(requester, name, issued.Location, access, credentials, null).ConfigureAwait(false);
            return issued;
        }
        catch (MedallionException e)
        {
            await RecordAsync(requester, name, table.StorageUri.TrimEnd('/'), access, null, e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Records a refusal that came before a table was known (an unknown table id or path), so probing is audited too.</summary>
    /// <param name="requester">Who asked.</param>
    /// <param name="target">What they named (a table id or a path).</param>
    /// <param name="access">What they asked for.</param>
    /// <param name="error">Why it was refused.</param>
    public ValueTask RecordRefusalAsync(AccessActor requester, string target, StorageAccess access, MedallionException error)
    {
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(error);
        return RecordAsync(requester, null, target, access, null, error);
    }

    private async Task RequireWriterAsync(TableName name, TableForEngines table, string user, CancellationToken cancellationToken)
    {
        if (table.Snapshot.Metadata.Configuration.TryGetValue(DeltaWriter.ProtectedProperty, out string? marked)
            && string.Equals(marked, "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new MedallionException(ErrorCode.TableCredentialsWriteDenied,
                $"No write credentials for '{name}': it is protected, and only Medallion itself writes it.");
        }

        if ((await _catalog.Access.GetUserAccessAsync(user, cancellationToken).ConfigureAwait(false))?.IsAdmin != true)
        {
            throw new MedallionException(ErrorCode.TableCredentialsWriteDenied,
                $"No write credentials for '{name}': only an admin may write a table's files directly; its model or source writes it otherwise.\n"
                + "Help: ask for READ credentials, or have an admin grant you admin on the server.");
        }
    }

    private ValueTask RecordAsync(AccessActor requester, TableName? table, string location, StorageAccess access, StorageCredentials? credentials, MedallionException? error)
    {
        var details = new JsonObject
        {
            ["operation"] = access == StorageAccess.ReadWrite ? "read_write" : "read",
            ["location"] = location,
        };
        if (error is null)
        {
            details["credentials"] = credentials is null ? "none" : credentials.S3 is not null ? "aws-sts" : credentials.AzureSasToken is not null ? "azure-sas" : "gcp-oauth";
            if (credentials is not null)
            {
                details["expires_at"] = credentials.ExpiresAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
                if (credentials.S3 is { } s3)
                {
                    // The access key id is no secret (CloudTrail names it), and ties this event to what the key did.
                    details["access_key_id"] = s3.AccessKeyId;
                }
            }
        }

        AuditEvent auditEvent = AuditEvent.Admin(requester.User, requester.Client, requester.Channel, AuditAction, table?.ToString() ?? location) with
        {
            Tables = table is { } t ? [t.ToString()] : [],
            Details = details.ToJsonString(),
            Outcome = error is null ? "ok" : "error",
            ErrorCode = error?.CodeText,
            ErrorMessage = error?.Message,
        };
        // Not cancellable: credentials that were issued are on record, whatever became of the request that asked for them.
        return _audit.RecordAsync(auditEvent, CancellationToken.None);
    }
}

/// <summary>Credentials issued for one table's files.</summary>
/// <param name="Table">The table.</param>
/// <param name="Location">The table's root as a URI, which the credentials are limited to.</param>
/// <param name="Access">What they allow.</param>
/// <param name="Credentials">The credentials; null for a local table, whose files need none.</param>
public sealed record IssuedTableCredentials(TableName Table, string Location, StorageAccess Access, StorageCredentials? Credentials);
