using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Serialization;

namespace Medallion.Platform.Privacy;

/// <summary>
/// What an erasure did (or, dry, would do): the record a company keeps to show it answered a data subject's request. It
/// names the person only by a masked identifier.
/// </summary>
/// <param name="Id">The erasure's id (<c>erasure-yyyyMMddHHmmss-xxxxxx</c>), also named by the errors of versions it made unreadable.</param>
/// <param name="Subject">The masked identifier (e.g. <c>cpf ***.533.447-**</c>).</param>
/// <param name="RequestedBy">Who ran it.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="DryRun">True when nothing was changed.</param>
/// <param name="Tables">Each table touched, in the order erased (along lineage).</param>
public sealed record ErasureReport(
    string Id,
    string Subject,
    string RequestedBy,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    bool DryRun,
    IReadOnlyList<ErasedTable> Tables)
{
    /// <summary>Rows deleted or anonymised, over all tables.</summary>
    public long Rows => Tables.Sum(t => t.Rows);

    /// <summary>Where the report was saved (the project's <c>.medallion/erasures/</c>); null for a dry run.</summary>
    public string? SavedTo { get; init; }
}

/// <summary>What an erasure did to one table.</summary>
/// <param name="Table">The table, <c>namespace.name</c>, followed for a physical table other than prod's by what points at it (<see cref="Environments"/>).</param>
/// <param name="Action"><c>delete</c> or <c>anonymize</c>.</param>
/// <param name="MatchedColumns">The columns that identified the person.</param>
/// <param name="Rows">Rows deleted or anonymised.</param>
/// <param name="CommittedVersion">The erasure's commit; null in a dry run.</param>
/// <param name="RemovedFiles">Data files of older versions that held the person, removed (or, dry, to remove).</param>
/// <param name="UnreadableVersions">The versions that referenced a removed file and can no longer be read (first and last).</param>
public sealed record ErasedTable(
    string Table,
    string Action,
    IReadOnlyList<string> MatchedColumns,
    long Rows,
    long? CommittedVersion,
    IReadOnlyList<string> RemovedFiles,
    VersionRange? UnreadableVersions)
{
    /// <summary>
    /// What points at the physical table erased when it is not prod's (then <see cref="Table"/> names them too, as in
    /// <c>silver.customers (dev)</c>): environments, kept previous sets (<c>prod~previous</c>), or
    /// <see cref="Lakehouse.Unpointed"/>; null for prod's table, whose entry keeps its earlier shape.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Environments { get; init; }
}

/// <summary>A range of table versions, both ends included.</summary>
/// <param name="First">The first version.</param>
/// <param name="Last">The last version.</param>
public sealed record VersionRange(long First, long Last);
