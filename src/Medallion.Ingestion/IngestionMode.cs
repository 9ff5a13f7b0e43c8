namespace Medallion.Ingestion;

/// <summary>How a source table is read.</summary>
public enum IngestionMode
{
    /// <summary>
    /// The whole table, as one consistent snapshot, on every run. Batches are not commit points:
    /// the sink makes the load visible at once when the stream ends (see <see cref="IBatchSink.CompleteAsync"/>).
    /// </summary>
    Full,

    /// <summary>
    /// Only rows whose cursor columns are past the last committed position, in cursor order. Each batch is a
    /// commit point; rows whose cursor is NULL are never read in this mode (the first run included).
    /// </summary>
    Incremental,

    /// <summary>
    /// Change data capture: every insert, update and delete committed in the source since the last acknowledged
    /// position, in commit order, with <c>_op</c>, <c>_lsn</c>, <c>_seq</c>, <c>_commit_ts</c> and <c>_txid</c>
    /// columns (PostgreSQL's logical replication; a MySQL/MariaDB binlog gives <c>_binlog_file</c>,
    /// <c>_binlog_pos</c> and <c>_gtid</c> in place of <c>_lsn</c> and <c>_txid</c>). Each batch ends at a
    /// transaction boundary and is a commit point.
    /// </summary>
    Cdc,
}
