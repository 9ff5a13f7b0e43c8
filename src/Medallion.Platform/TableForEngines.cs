using System;
using System.Collections.Generic;
using Medallion.Delta.Snapshots;

namespace Medallion.Platform;

/// <summary>
/// What another engine (Spark, DuckDB, Daft through a catalog API) needs to find and read one built table: its docs,
/// where its files are as a URI, its current Delta snapshot (id, schema, partition columns, properties) and the columns
/// the reader may read with their docs.
/// </summary>
/// <param name="Summary">The table as listed (name, kind, docs); its version and update time are the snapshot's.</param>
/// <param name="StorageUri">The table's root as a URI engines open: <c>file:///...</c> for a local table, else its store's URI (an <c>az://</c> one as <c>abfss://</c>, see <see cref="Engine.StorageResolver.ToEngineUri"/>).</param>
/// <param name="Snapshot">The table's current Delta snapshot.</param>
/// <param name="Columns">The columns the reader may read, in table order, documented as the table's page documents them.</param>
/// <param name="CreatedAt">When the table was created: the Delta metadata's creation time, else when the catalog registered it, else its current version's commit time.</param>
public sealed record TableForEngines(TableSummary Summary, string StorageUri, Snapshot Snapshot, IReadOnlyList<ColumnInfo> Columns, DateTimeOffset CreatedAt)
{
    /// <summary>
    /// Why the reader may not be handed the table's files (Iceberg metadata, storage credentials): a row filter, masks or
    /// a column grant narrow what they read, and an engine reading the files would bypass them; null when they read the
    /// whole table. Such a reader is sent to the SQL endpoint.
    /// </summary>
    public string? FileAccessRefusal { get; init; }

    /// <summary>The table's location as the project's stores open it, which credentials for its files are issued for; <see cref="StorageUri"/> when not set.</summary>
    public string Location { get => field ?? StorageUri; init; }
}
