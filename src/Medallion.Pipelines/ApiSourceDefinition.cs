using Medallion.Catalog;
using Medallion.Ingestion.Http;

namespace Medallion.Pipelines;

/// <summary>An HTTP API source from <c>sources/*.yml</c> (an entry with <c>url:</c>): a JSON endpoint landing in one bronze table.</summary>
/// <param name="Name">The source's name; the bronze position is kept under it (<c>medallion.source.&lt;name&gt;</c>).</param>
/// <param name="Target">The bronze table the records land in.</param>
/// <param name="Options">How the endpoint is read, with <c>${NAME}</c> secret references unresolved (they are resolved when it runs).</param>
/// <param name="Description">What the source holds.</param>
/// <param name="Location">Where the source is defined.</param>
public sealed record ApiSourceDefinition(string Name, TableName Target, HttpApiSourceOptions Options, string? Description, SourceLocation Location);
