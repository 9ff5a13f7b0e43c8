using System;
using System.Collections.Generic;

namespace Medallion.Ingestion;

/// <summary>What to read from a database source and how: the table, the mode, the cursor, and the batch size.</summary>
/// <remarks>
/// <para>
/// Incremental reads are exact at the boundary. The cursor is compared as a row value,
/// <c>(c1, c2, ...) &gt;= (last1, last2, ...)</c>, in that order, and rows that share the last cursor value and
/// were already delivered are recognised by their key (<see cref="KeyColumns"/>, else the primary key, else the
/// cursor columns themselves) and skipped. So a batch may end in the middle of a run of equal cursor values, a
/// crash between batches repeats nothing, and a row committed later with exactly the last cursor value is still
/// read. The position therefore carries the keys of the rows sharing the last cursor value: a cursor with huge
/// runs of equal values makes the position large (add a unique column, such as the id, as the last cursor column).
/// </para>
/// <para>
/// Rows that appear later with a cursor value below the last one (a transaction that commits late with an
/// older <c>updated_at</c>) cannot be seen by any cursor: use CDC where that matters.
/// </para>
/// </remarks>
public sealed class SourceTableOptions
{
    /// <summary>The source's name as the user knows it (from the project's sources file); every error names it.</summary>
    public required string SourceName { get; init; }

    /// <summary>The table: <c>schema.table</c> for PostgreSQL (schema <c>public</c> when left out), <c>table</c> for MySQL (the connection's database).</summary>
    public required string Table { get; init; }

    /// <summary>Full or incremental.</summary>
    public IngestionMode Mode { get; init; } = IngestionMode.Full;

    /// <summary>The cursor columns of an incremental read, most significant first; required in that mode.</summary>
    public IReadOnlyList<string> CursorColumns { get; init; } = [];

    /// <summary>Columns that identify a row, used to recognise rows already delivered at the cursor boundary; defaults to the primary key.</summary>
    public IReadOnlyList<string>? KeyColumns { get; init; }

    /// <summary>PostgreSQL CDC: the logical replication slot to read (created when missing); defaults to <c>medallion_&lt;schema&gt;_&lt;table&gt;</c>.</summary>
    public string? ReplicationSlot { get; init; }

    /// <summary>PostgreSQL CDC: the publication the slot streams (created for the table when missing); defaults to the slot's name.</summary>
    public string? Publication { get; init; }

    /// <summary>
    /// CDC: how long to wait for the next transaction before the stream ends (it drains what is available, then stops).
    /// PostgreSQL: counted only once the server has decoded as far as its WAL reached when the stream began, and never
    /// inside a transaction.
    /// </summary>
    public TimeSpan ChangeWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// CDC, continuous runs: batches are committed as changes come (group commit), at most one commit per this long.
    /// PostgreSQL: at a transaction boundary where the stream's next message has not arrived yet, once the pass's
    /// previous commit is this old (at once after a quiet spell), so what arrives while a commit runs makes the next
    /// batch; while changes keep coming faster than they are read, a batch is committed once its first change is this
    /// old. MySQL: at the first transaction
    /// boundary once its first change is this old. Either way a batch is also committed when it holds
    /// <see cref="BatchRows"/>. Null commits only full batches and at the end of a pass.
    /// </summary>
    public TimeSpan? CommitInterval { get; init; }

    /// <summary>
    /// CDC: a pass ends at the first transaction boundary after this long even while changes keep coming, so a
    /// caller can run what depends on the table between passes; null reads until the stream is quiet for <see cref="ChangeWait"/>.
    /// The time counts from where the source's previous pass stopped reading, so the micro-batches of a continuous run
    /// land this often even when committing and reopening the stream between passes takes a while.
    /// </summary>
    public TimeSpan? PassDuration { get; init; }

    /// <summary>
    /// PostgreSQL CDC, continuous runs: a pass that ends by itself (drained, or its <see cref="PassDuration"/> is over)
    /// leaves its replication stream open, and the next pass of the same source object reads on from it when it starts
    /// where that pass ended, so the passes pay no reconnection and the server does not decode the slot's WAL again.
    /// Acknowledgements still follow the sink's commits. The owner must dispose the source
    /// (<see cref="PostgresSource.DisposeAsync"/>) to close the stream; a stream that broke between passes is replaced
    /// by a new one. False closes the stream at the end of each pass.
    /// </summary>
    public bool KeepStreamOpen { get; init; }

    /// <summary>Rows per batch (each batch is staged in DuckDB, so memory is bounded by the batch, not the table).</summary>
    public int BatchRows { get; init; } = 100_000;

    /// <summary>
    /// Full loads from PostgreSQL: how many parts of the table are read at once, each by a COPY of its own on a
    /// connection of its own, all in one snapshot (see <see cref="PostgresSource"/>); 1 reads the table with one COPY.
    /// Up to two batches of each part are staged at a time. Project files default it to <see cref="DefaultParallelism"/>.
    /// </summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>The largest <see cref="Parallelism"/> taken: each part holds a server connection and two batches.</summary>
    public const int MaxParallelism = 64;

    /// <summary>
    /// The parallelism of a full load when a project file sets none: half the machine's cores (at least 1, at most 8). Each part
    /// keeps about one core busy decoding its COPY and appending it to DuckDB, and the Parquet writing of the batches
    /// needs cores too; more parts than that only take turns on the same cores (and server connections).
    /// </summary>
    public static int DefaultParallelism => Math.Clamp(Environment.ProcessorCount / 2, 1, 8);

    /// <summary>How many times to try to connect before giving up (1 = no retry).</summary>
    public int MaxConnectAttempts { get; init; } = 4;

    /// <summary>The delay before the first retry; it doubles (with jitter) for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SourceName);
        ArgumentException.ThrowIfNullOrWhiteSpace(Table);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Parallelism, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Parallelism, MaxParallelism);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(RetryDelay.Ticks);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ChangeWait, TimeSpan.Zero);
        if (Mode == IngestionMode.Incremental && CursorColumns.Count == 0)
        {
            throw new ArgumentException($"Source '{SourceName}': incremental mode needs at least one cursor column.", nameof(CursorColumns));
        }
    }
}
