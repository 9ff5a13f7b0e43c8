using System;
using System.Collections.Generic;

namespace Medallion.Catalog;

/// <summary>One output column of a model as an environment last built it.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Type">Its type, as DuckDB spells it (e.g. <c>BIGINT</c>, <c>DECIMAL(18,2)</c>).</param>
public sealed record ModelColumnState(string Name, string Type)
{
    /// <summary>Whether the column may hold nulls, as built (true when a state recorded before this was known).</summary>
    public bool Nullable { get; init; } = true;
}

/// <summary>What an environment last built of one model: what <c>medallion plan</c> compares the project's files with.</summary>
/// <param name="Environment">The environment (<c>prod</c> unless another is named).</param>
/// <param name="Model">The model.</param>
/// <param name="Fingerprint">The hash of what decides the model's data: its parsed SQL, data config, variables used and upstream fingerprints.</param>
/// <param name="DefinitionHash">The hash of the model's own part of <paramref name="Fingerprint"/> (parse, data config, variables), without what it reads.</param>
/// <param name="MetadataHash">The hash of what only documents it: description, owner, tags, column docs, expectations.</param>
/// <param name="Sql">The model's SQL as it was built (for the plan's SQL diff).</param>
/// <param name="Columns">Its output columns with their types, as built.</param>
/// <param name="RunId">The run that last built its table (an apply that records a change needing no build keeps it); null when unknown.</param>
/// <param name="BuiltAt">When the state was recorded.</param>
public sealed record ModelStateRecord(
    string Environment,
    TableName Model,
    string Fingerprint,
    string DefinitionHash,
    string MetadataHash,
    string Sql,
    IReadOnlyList<ModelColumnState> Columns,
    string? RunId,
    DateTimeOffset BuiltAt)
{
    /// <summary>
    /// The physical Delta table the environment reads the model from, relative to its namespace's storage (e.g.
    /// <c>_versions/daily_revenue/3f2a…</c>); null for the model's own location (<c>&lt;namespace&gt;/&lt;name&gt;</c>), where every
    /// table lived before environments and where <c>prod</c> keeps building until a promotion points it elsewhere.
    /// </summary>
    public string? Location { get; init; }
}

/// <summary>One environment as <c>medallion env list</c> shows it (<see cref="EnvironmentStore.SummarizeAsync"/>).</summary>
/// <param name="Name">The environment's name; for a kept set, the name it is kept under (<c>prod~previous</c>).</param>
/// <param name="PreviousOf">For a set of tables a promotion kept for <c>medallion rollback</c>, the environment it was taken from; null otherwise.</param>
/// <param name="Models">How many models it reads: those it holds, and for an environment other than <c>prod</c> those it reads from <c>prod</c>.</param>
/// <param name="OwnTables">Of <paramref name="Models"/>, how many it reads from a physical table of its own, not <c>prod</c>'s; null for <c>prod</c> and kept sets.</param>
/// <param name="FromProduction">Of <paramref name="Models"/>, how many it reads from <c>prod</c>'s tables; null for <c>prod</c> and kept sets.</param>
/// <param name="LastBuiltAt">When it last recorded a model's state (a build, or an apply that needed none); null when it holds none of its own.</param>
public sealed record EnvironmentSummary(string Name, string? PreviousOf, int Models, int? OwnTables, int? FromProduction, DateTimeOffset? LastBuiltAt);

/// <summary>
/// A physical table an environment pointed at (<see cref="ModelStateRecord.Location"/>), as the janitor knows it
/// (<see cref="EnvironmentStore.ListTablesAsync"/>).
/// </summary>
/// <param name="Model">The model it holds a version of.</param>
/// <param name="Location">Its pointer, relative to the model's namespace storage (<c>_versions/orders/3f2a…</c>).</param>
/// <param name="UnpointedAt">When it lost its last pointer (the kept previous sets count as pointers); null while an environment points at it.</param>
public sealed record EnvironmentTableRecord(TableName Model, string Location, DateTimeOffset? UnpointedAt);

/// <summary>
/// Where an environment points a model, and the run that built it there: the part of a <see cref="ModelStateRecord"/> a
/// run needs to find its tables, read without the rest.
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="Location">Its physical table, relative to its namespace's storage; null for the model's own location.</param>
/// <param name="RunId">The run that built it, if one did.</param>
public sealed record ModelPointer(TableName Model, string? Location, string? RunId);
