using System.Collections.Generic;

namespace Medallion.Ingestion;

/// <summary>
/// One batch of rows, staged in DuckDB where the target connection reads them, with the source position
/// reached after it.
/// </summary>
/// <remarks>
/// The rows' place is reused for a later batch: consume them (typically
/// <c>COPY (SELECT * FROM &lt;Relation&gt;) TO '...' (FORMAT parquet, RETURN_STATS)</c>) before asking the
/// stream for the next batch. They are dropped when the stream ends. Their columns are <see cref="Columns"/>, in order.
/// </remarks>
public sealed class SourceBatch
{
    internal SourceBatch(string relation, IReadOnlyList<SourceColumn> columns, long sequence, long rowCount, SourcePosition position, bool isCommitPoint)
    {
        Relation = relation;
        Columns = columns;
        Sequence = sequence;
        RowCount = rowCount;
        Position = position;
        IsCommitPoint = isCommitPoint;
    }

    /// <summary>
    /// What a <c>FROM</c> clause names to read the rows: a DuckDB table, qualified and quoted, or a
    /// <see cref="Medallion.DuckDb.DuckDbChunkTable"/>'s function call. Readable any number of times until the next batch.
    /// </summary>
    public string Relation { get; }

    /// <summary>The columns of the rows, in order, with their source and DuckDB types.</summary>
    public IReadOnlyList<SourceColumn> Columns { get; }

    /// <summary>The batch's number in this stream, from 1.</summary>
    public long Sequence { get; }

    /// <summary>How many rows the batch holds.</summary>
    public long RowCount { get; }

    /// <summary>The source position after this batch: store it with the batch's commit.</summary>
    public SourcePosition Position { get; }

    /// <summary>
    /// True when the batch may be committed on its own (incremental reads). False for a full load, whose
    /// batches must become visible together, when the stream ends.
    /// </summary>
    public bool IsCommitPoint { get; }

    /// <summary>When the source committed the batch's last change (change streams); null for table reads.</summary>
    internal System.DateTimeOffset? SourceCommittedAt { get; init; }
}
