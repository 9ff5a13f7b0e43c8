using System;
using Medallion.Catalog;

namespace Medallion.Pipelines;

/// <summary>
/// A push source from <c>sources/*.yml</c> (an entry with <c>listen:</c>): an HTTP endpoint that takes Debezium change
/// events into one bronze table, run by <c>medallion ingest --select &lt;name&gt;</c> until Ctrl+C.
/// </summary>
/// <param name="Name">The source's name; the bronze position is kept under it (<c>medallion.source.&lt;name&gt;</c>).</param>
/// <param name="Target">The bronze table the events land in.</param>
/// <param name="Address">Where the endpoint listens, e.g. <c>http://127.0.0.1:8089/</c>.</param>
/// <param name="BearerToken">The token senders must present, as written (a <c>${NAME}</c> reference, resolved when the
/// endpoint starts); null for none, which only a loopback <paramref name="Address"/> allows.</param>
/// <param name="Description">What the source holds.</param>
/// <param name="Location">Where the source is defined.</param>
public sealed record EndpointSourceDefinition(string Name, TableName Target, Uri Address, string? BearerToken, string? Description, SourceLocation Location);
