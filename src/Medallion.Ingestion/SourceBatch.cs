using System.Collections.Generic;

namespace Medallion.Ingestion;

/// <summary>
/// One batch of rows, staged in a DuckDB table that the target connection reads, with the source position
/// reached after it.
/// </summary>
/// <remarks>
/// The table is reused for a later batch: consume it (typically
/// <c>COPY (SELECT * FROM &lt;TableName&gt;) TO '...' (FORMAT parquet, RETURN_STATS)</c>) before asking the
/// stream for the next batch. It is dropped when the stream ends. Its columns are <see cref="Columns"/>, in order.
/// </remarks>
public sealed class SourceBatch
{
    internal SourceBatch(string tableName, IReadOnlyList<SourceColumn> columns, long sequence, long rowCount, SourcePosition position, bool isCommitPoint)
    {
        TableName = tableName;
        Columns = columns;
        Sequence = sequence;
        RowCount = rowCount;
        Position = position;
        IsCommitPoint = isCommitPoint;
    }

    /// <summary>The DuckDB table holding the rows, qualified and quoted for use in SQL.</summary>
    public string TableName { get; }

    /// <summary>The columns of the table, in order, with their source and DuckDB types.</summary>
    public IReadOnlyList<SourceColumn> Columns { get; }

    /// <summary>The batch's number in this stream, from 1.</summary>
    public long Sequence { get; }

    /// <summary>How many rows the table holds.</summary>
    public long RowCount { get; }

    /// <summary>The source position after this batch: store it with the batch's commit.</summary>
    public SourcePosition Position { get; }

    /// <summary>
    /// True when the batch may be committed on its own (incremental reads). False for a full load, whose
    /// batches must become visible together, when the stream ends.
    /// </summary>
    public bool IsCommitPoint { get; }
}
