namespace Medallion.Ingestion;

/// <summary>What one run moved.</summary>
/// <param name="Batches">Batches written to the sink.</param>
/// <param name="Rows">Rows written to the sink.</param>
/// <param name="Position">The position reached (the starting one when nothing new was read; null when never any).</param>
public sealed record IngestionResult(long Batches, long Rows, SourcePosition? Position);
