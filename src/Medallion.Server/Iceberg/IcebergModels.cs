using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Medallion.Server.Iceberg;

/// <summary>The Iceberg REST catalog's <c>CatalogConfig</c>: no defaults or overrides (no <c>prefix</c>), and the endpoints this server answers.</summary>
internal sealed record IcebergCatalogConfig(
    [property: JsonPropertyName("defaults")] IReadOnlyDictionary<string, string> Defaults,
    [property: JsonPropertyName("overrides")] IReadOnlyDictionary<string, string> Overrides,
    [property: JsonPropertyName("endpoints")] IReadOnlyList<string> Endpoints);

/// <summary><c>ListNamespacesResponse</c>.</summary>
internal sealed record IcebergNamespaceList(
    [property: JsonPropertyName("namespaces")] IReadOnlyList<IReadOnlyList<string>> Namespaces,
    [property: JsonPropertyName("next-page-token")] string? NextPageToken);

/// <summary><c>GetNamespaceResponse</c>.</summary>
internal sealed record IcebergNamespace(
    [property: JsonPropertyName("namespace")] IReadOnlyList<string> Namespace,
    [property: JsonPropertyName("properties")] IReadOnlyDictionary<string, string> Properties);

/// <summary><c>TableIdentifier</c>.</summary>
internal sealed record IcebergTableIdentifier(
    [property: JsonPropertyName("namespace")] IReadOnlyList<string> Namespace,
    [property: JsonPropertyName("name")] string Name);

/// <summary><c>ListTablesResponse</c>.</summary>
internal sealed record IcebergTableList(
    [property: JsonPropertyName("identifiers")] IReadOnlyList<IcebergTableIdentifier> Identifiers,
    [property: JsonPropertyName("next-page-token")] string? NextPageToken);

/// <summary>
/// <c>LoadTableResult</c>: where the metadata file is, its content, per-table client config and, when vended
/// (<c>X-Iceberg-Access-Delegation: vended-credentials</c>), the credentials for the table's files; omitted otherwise.
/// </summary>
internal sealed record IcebergLoadTableResult(
    [property: JsonPropertyName("metadata-location")] string MetadataLocation,
    [property: JsonPropertyName("metadata")] JsonElement Metadata,
    [property: JsonPropertyName("config")] IReadOnlyDictionary<string, string> Config,
    [property: JsonPropertyName("storage-credentials"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<IcebergStorageCredential>? StorageCredentials);

/// <summary><c>StorageCredential</c>: a location prefix and the FileIO properties that reach it.</summary>
internal sealed record IcebergStorageCredential(
    [property: JsonPropertyName("prefix")] string Prefix,
    [property: JsonPropertyName("config")] IReadOnlyDictionary<string, string> Config);

/// <summary><c>IcebergErrorResponse</c>: the error model under <c>error</c>.</summary>
internal sealed record IcebergErrorResponse([property: JsonPropertyName("error")] IcebergErrorModel Error);

/// <summary><c>ErrorModel</c>: a message, the exception type a Java client throws, and the HTTP status.</summary>
internal sealed record IcebergErrorModel(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("code")] int Code);
