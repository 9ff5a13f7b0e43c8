namespace Medallion.Ingestion;

/// <summary>One column as the source declares it and as it lands in DuckDB (and so in Parquet and bronze).</summary>
/// <param name="Name">The column name, as in the source.</param>
/// <param name="SourceType">The source's type, e.g. <c>numeric(40,2)</c> or <c>datetime(6)</c>.</param>
/// <param name="DuckDbType">The DuckDB type of the batch table column, e.g. <c>DECIMAL(38,2)</c>.</param>
public sealed record SourceColumn(string Name, string SourceType, string DuckDbType);
