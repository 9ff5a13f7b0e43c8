namespace Medallion.DuckDb;

/// <summary>How far the running query on a connection has got (duckdb_query_progress).</summary>
/// <param name="Percentage">0 to 100, or -1 when DuckDB cannot tell.</param>
/// <param name="RowsProcessed">Rows processed so far.</param>
/// <param name="TotalRowsToProcess">Rows the query expects to process in all.</param>
public readonly record struct DuckDbQueryProgress(double Percentage, ulong RowsProcessed, ulong TotalRowsToProcess);
