using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Medallion.Server.UnityCatalog;

// The answers of Unity Catalog's REST API (api/all.yaml of github.com/unitycatalog/unitycatalog, components/schemas),
// spelled as the document spells them; members that are null are left out, as the reference server leaves them out.

/// <summary>A catalog (<c>CatalogInfo</c>): the project.</summary>
internal sealed record UcCatalogInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("properties")] IReadOnlyDictionary<string, string> Properties,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("comment")] string? Comment = null);

/// <summary>A schema (<c>SchemaInfo</c>): one namespace of the project (bronze, silver, gold, ...).</summary>
internal sealed record UcSchemaInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("catalog_name")] string CatalogName,
    [property: JsonPropertyName("full_name")] string FullName,
    [property: JsonPropertyName("properties")] IReadOnlyDictionary<string, string> Properties,
    [property: JsonPropertyName("schema_id")] string SchemaId,
    [property: JsonPropertyName("comment")] string? Comment = null);

/// <summary>A table (<c>TableInfo</c>): a Delta table of the project, which Unity Catalog calls an external table.</summary>
internal sealed record UcTableInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("catalog_name")] string CatalogName,
    [property: JsonPropertyName("schema_name")] string SchemaName,
    [property: JsonPropertyName("table_type")] string TableType,
    [property: JsonPropertyName("data_source_format")] string DataSourceFormat,
    [property: JsonPropertyName("columns")] IReadOnlyList<UcColumnInfo> Columns,
    [property: JsonPropertyName("storage_location")] string StorageLocation,
    [property: JsonPropertyName("properties")] IReadOnlyDictionary<string, string> Properties,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("updated_at")] long UpdatedAt,
    [property: JsonPropertyName("table_id")] string TableId,
    [property: JsonPropertyName("comment")] string? Comment = null,
    [property: JsonPropertyName("owner")] string? Owner = null);

/// <summary>A column of a table (<c>ColumnInfo</c>).</summary>
/// <remarks>
/// <c>type_precision</c> and <c>type_scale</c> are written for every column (0 unless decimal), as the reference server
/// writes them: DuckDB's <c>uc_catalog</c> extension fails on a column without them.
/// </remarks>
internal sealed record UcColumnInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type_text")] string TypeText,
    [property: JsonPropertyName("type_json")] string TypeJson,
    [property: JsonPropertyName("type_name")] string TypeName,
    [property: JsonPropertyName("type_precision")] int TypePrecision,
    [property: JsonPropertyName("type_scale")] int TypeScale,
    [property: JsonPropertyName("position")] int Position,
    [property: JsonPropertyName("nullable")] bool Nullable,
    [property: JsonPropertyName("comment")] string? Comment = null,
    [property: JsonPropertyName("partition_index")] int? PartitionIndex = null);

/// <summary>A page of catalogs (<c>ListCatalogsResponse</c>).</summary>
internal sealed record UcCatalogList(
    [property: JsonPropertyName("catalogs")] IReadOnlyList<UcCatalogInfo> Catalogs,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken = null);

/// <summary>A page of schemas (<c>ListSchemasResponse</c>).</summary>
internal sealed record UcSchemaList(
    [property: JsonPropertyName("schemas")] IReadOnlyList<UcSchemaInfo> Schemas,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken = null);

/// <summary>A page of tables (<c>ListTablesResponse</c>).</summary>
internal sealed record UcTableList(
    [property: JsonPropertyName("tables")] IReadOnlyList<UcTableInfo> Tables,
    [property: JsonPropertyName("next_page_token")] string? NextPageToken = null);

/// <summary>
/// An error as Unity Catalog answers one: <c>error_code</c>, <c>message</c>, and <c>details</c> with a
/// <c>google.rpc.ErrorInfo</c> whose reason repeats the code (as the reference server and Databricks write it).
/// </summary>
internal sealed record UcError(
    [property: JsonPropertyName("error_code")] string ErrorCode,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("details")] IReadOnlyList<UcErrorDetail> Details);

/// <summary>The <c>google.rpc.ErrorInfo</c> of an error.</summary>
internal sealed record UcErrorDetail(
    [property: JsonPropertyName("@type")] string Type,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>
/// Temporary credentials for a table's or a path's files (<c>GenerateTemporaryTableCredentialResponse</c>,
/// <c>GenerateTemporaryPathCredentialResponse</c>): one of the clouds' members, when they expire (epoch milliseconds)
/// and the location they reach. A local table's answer has none of the clouds' members, as the reference server's for a
/// <c>file://</c> table.
/// </summary>
internal sealed record UcTemporaryCredentials(
    [property: JsonPropertyName("aws_temp_credentials")] UcAwsCredentials? AwsTempCredentials,
    [property: JsonPropertyName("azure_user_delegation_sas")] UcAzureSas? AzureUserDelegationSas,
    [property: JsonPropertyName("gcp_oauth_token")] UcGcpOauthToken? GcpOauthToken,
    [property: JsonPropertyName("expiration_time")] long? ExpirationTime,
    [property: JsonPropertyName("url")] string Url);

/// <summary>AWS session credentials (<c>AwsCredentials</c>).</summary>
internal sealed record UcAwsCredentials(
    [property: JsonPropertyName("access_key_id")] string AccessKeyId,
    [property: JsonPropertyName("secret_access_key")] string SecretAccessKey,
    [property: JsonPropertyName("session_token")] string SessionToken);

/// <summary>An Azure shared access signature (<c>AzureUserDelegationSAS</c>; the member carries a service SAS as well).</summary>
internal sealed record UcAzureSas([property: JsonPropertyName("sas_token")] string SasToken);

/// <summary>A Google OAuth token (<c>GcpOauthToken</c>).</summary>
internal sealed record UcGcpOauthToken([property: JsonPropertyName("oauth_token")] string OauthToken);
