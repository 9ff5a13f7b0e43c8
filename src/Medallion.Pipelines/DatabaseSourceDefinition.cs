using System;
using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Ingestion;
using Medallion.Pipelines.Alerts;

namespace Medallion.Pipelines;

/// <summary>
/// A database source from <c>sources/*.yml</c>: tables of a PostgreSQL or MySQL/MariaDB connection (defined in
/// <c>medallion.yml</c>), each landing in a bronze table.
/// </summary>
/// <param name="Name">The source's name; the bronze position is kept under it (<c>medallion.source.&lt;name&gt;</c>).</param>
/// <param name="Connection">The connection it reads, from <c>medallion.yml</c>.</param>
/// <param name="Tables">The tables to read, each with its mode and target.</param>
/// <param name="Description">What the source holds.</param>
/// <param name="Location">Where the source is defined.</param>
public sealed record DatabaseSourceDefinition(
    string Name,
    ConnectionDefinition Connection,
    IReadOnlyList<DatabaseTableDefinition> Tables,
    string? Description,
    SourceLocation Location)
{
    /// <summary>How old the source's tables may get before an alert (<c>freshness:</c>); null for no threshold.</summary>
    public FreshnessPolicy? Freshness { get; init; }
}

/// <summary>One table of a database source.</summary>
/// <param name="Table">The source table: <c>schema.table</c> (PostgreSQL, schema <c>public</c> when left out) or <c>table</c> (MySQL).</param>
/// <param name="Target">The bronze table the rows land in (default <c>bronze.&lt;table&gt;</c>).</param>
/// <param name="Mode">Full, incremental (on <paramref name="CursorColumns"/>) or cdc (PostgreSQL logical replication).</param>
/// <param name="CursorColumns">Incremental: the cursor columns, most significant first.</param>
/// <param name="KeyColumns">Incremental: the columns that identify a row at the cursor boundary (default: the primary key).</param>
/// <param name="Slot">CDC: the replication slot (created when missing).</param>
/// <param name="Publication">CDC: the publication (created for the table when missing).</param>
/// <param name="BatchRows">Rows per batch.</param>
/// <param name="Location">Where the table is defined.</param>
public sealed record DatabaseTableDefinition(
    string Table,
    TableName Target,
    IngestionMode Mode,
    IReadOnlyList<string> CursorColumns,
    IReadOnlyList<string>? KeyColumns,
    string? Slot,
    string? Publication,
    int BatchRows,
    SourceLocation Location)
{
    /// <summary>
    /// Full loads from PostgreSQL: how many parts of the table are read at once (<c>parallelism:</c>); null for
    /// <see cref="SourceTableOptions.DefaultParallelism"/>.
    /// </summary>
    public int? Parallelism { get; init; }

    /// <summary>The options a source connector reads this table with.</summary>
    /// <param name="sourceName">The source's name.</param>
    /// <param name="interval">
    /// CDC interval (continuous runs): a pass commits its changes as they come (group commit, see
    /// <see cref="SourceTableOptions.CommitInterval"/>), at most once per quarter of this, a batch collecting for a
    /// quarter of this at most while changes come faster than they are read, ends after about this long, and ends early after this long without a change.
    /// Null: the pass drains what is available (1 s of quiet ends it).
    /// </param>
    /// <param name="keepStreamOpen">
    /// A continuous run that reads every pass through one source object, and disposes it at the end: a CDC stream stays
    /// open from one pass to the next (see <see cref="SourceTableOptions.KeepStreamOpen"/>).
    /// </param>
    public SourceTableOptions ToOptions(string sourceName, TimeSpan? interval = null, bool keepStreamOpen = false) => new()
    {
        SourceName = sourceName,
        Table = Table,
        Mode = Mode,
        CursorColumns = CursorColumns,
        KeyColumns = KeyColumns,
        ReplicationSlot = Slot,
        Publication = Publication,
        BatchRows = BatchRows,
        Parallelism = Parallelism ?? SourceTableOptions.DefaultParallelism,
        ChangeWait = interval ?? TimeSpan.FromSeconds(1),
        // A reader that is behind always finds the next change waiting: its batch is cut at a quarter of the pass,
        // so a backlog is committed in a few steps instead of one at the end of the pass.
        CommitInterval = interval / 4,
        PassDuration = interval,
        KeepStreamOpen = keepStreamOpen,
    };
}
