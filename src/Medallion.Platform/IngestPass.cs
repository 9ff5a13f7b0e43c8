using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;

namespace Medallion.Platform;

/// <summary>One pass over one table of a database or HTTP API source, as it ended and as the catalog keeps it.</summary>
/// <param name="Result">What the pass did: rows, batches, the table's version, slot lag.</param>
/// <param name="Record">The pass as recorded under the ingest run (numbered per table from 1).</param>
public sealed record IngestPass(DatabaseTableResult Result, SourceRunRecord Record);
