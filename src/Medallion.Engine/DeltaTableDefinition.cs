using System.Collections.Generic;

namespace Medallion.Engine;

/// <summary>What <see cref="DeltaWriter.CreateTableAsync"/> creates.</summary>
/// <param name="Schema">
/// Columns as SQL, e.g. <c>id bigint NOT NULL, name string, ts timestamp</c>. Delta type names (<c>long</c>,
/// <c>string</c>, <c>timestamp</c> with time zone, <c>timestamp_ntz</c>, <c>binary</c>) and DuckDB type names are both accepted.
/// </param>
public sealed record DeltaTableDefinition(string Schema)
{
    /// <summary>Partition columns, in order.</summary>
    public IReadOnlyList<string> PartitionBy { get; init; } = [];

    /// <summary>
    /// Table properties, e.g. <c>delta.appendOnly</c>, <c>delta.checkpointInterval</c>, <c>delta.logRetentionDuration</c>,
    /// <c>delta.deletedFileRetentionDuration</c>, <c>delta.enableChangeDataFeed</c>, <c>delta.enableDeletionVectors</c>,
    /// <c>delta.columnMapping.mode</c>, <c>delta.constraints.&lt;name&gt;</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>The table's name in the log, if any.</summary>
    public string? Name { get; init; }

    /// <summary>The table's description in the log, if any.</summary>
    public string? Description { get; init; }
}
