using System;
using System.Collections.Generic;

namespace Medallion.Catalog;

/// <summary>A table registered in the catalog.</summary>
/// <param name="Name">The table's <c>namespace.name</c>.</param>
/// <param name="Location">Where the table's files live (a path under the project's storage, or an object-store URI).</param>
/// <param name="Format">The table format; <c>delta</c> for every table Medallion writes.</param>
/// <param name="Description">What the table holds, for people browsing the catalog.</param>
/// <param name="Owner">Who to ask about the table.</param>
/// <param name="Tags">Free-form tags (e.g. <c>finance</c>, <c>daily</c>).</param>
/// <param name="CreatedAt">When the table was first registered; set by the store.</param>
/// <param name="UpdatedAt">When the registration last changed; set by the store.</param>
public sealed record CatalogTable(
    TableName Name,
    string Location,
    string Format = "delta",
    string? Description = null,
    string? Owner = null,
    IReadOnlyList<string>? Tags = null,
    DateTimeOffset CreatedAt = default,
    DateTimeOffset UpdatedAt = default)
{
    /// <summary>
    /// The columns that identify a row, in key order (a <c>merge</c> model's <c>unique_key</c>; an <c>scd2</c> model's key
    /// and <c>valid_from</c>); empty when the table has none. SQL clients see it as the table's primary key.
    /// </summary>
    public IReadOnlyList<string> UniqueKey { get; init; } = [];
}

/// <summary>A column of a catalog table, with its documentation and classification.</summary>
/// <param name="Name">The column name.</param>
/// <param name="DataType">The DuckDB type name, e.g. <c>BIGINT</c> or <c>DECIMAL(18,2)</c>.</param>
/// <param name="Nullable">Whether the column may hold nulls.</param>
/// <param name="Description">The column's documentation.</param>
/// <param name="Classification">A data-protection class such as <c>pii</c> or <c>sensitive</c>; null when none applies.</param>
/// <param name="Tags">Free-form tags (e.g. <c>pii:email</c>).</param>
public sealed record CatalogColumn(
    string Name,
    string DataType,
    bool Nullable = true,
    string? Description = null,
    string? Classification = null,
    IReadOnlyList<string>? Tags = null);

/// <summary>One committed version of a table with the schema it had and what produced it.</summary>
/// <param name="Table">The table.</param>
/// <param name="Version">The table version (the Delta log version).</param>
/// <param name="SchemaJson">The schema at that version as JSON (the Delta schema string when it comes from Delta).</param>
/// <param name="Operation">What wrote the version, e.g. <c>WRITE</c>, <c>MERGE</c>, <c>CREATE</c>.</param>
/// <param name="RowCount">Rows in the table after the commit, when known.</param>
/// <param name="RunId">The run that committed it, when a run did.</param>
/// <param name="CommittedAt">When the version was committed.</param>
public sealed record TableVersionRecord(
    TableName Table,
    long Version,
    string SchemaJson,
    string Operation,
    long? RowCount,
    string? RunId,
    DateTimeOffset CommittedAt)
{
    /// <summary>The table's active data files after the commit, when known.</summary>
    public long? FileCount { get; init; }

    /// <summary>The size of the table's active data files after the commit in bytes, when known.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>
    /// The physical table the version is of, as an environment's pointer names it (<see cref="ModelStateRecord.Location"/>);
    /// null for the table's own location. Each physical table has versions of its own.
    /// </summary>
    public string? Location { get; init; }
}

/// <summary>A table's newest recorded version, as <c>/metrics</c> reports it for every table at once.</summary>
/// <param name="Table">The table.</param>
/// <param name="Version">Its newest version.</param>
/// <param name="RowCount">Rows at that version, when known.</param>
/// <param name="FileCount">Active data files at that version, when known.</param>
/// <param name="SizeBytes">Bytes of active data files at that version, when known.</param>
/// <param name="CommittedAt">When that version was committed.</param>
public sealed record TableState(TableName Table, long Version, long? RowCount, long? FileCount, long? SizeBytes, DateTimeOffset CommittedAt);

/// <summary>The state of a run or of one model inside it.</summary>
public enum RunStatus
{
    /// <summary>Started and not finished.</summary>
    Running,
    /// <summary>Finished and everything committed.</summary>
    Succeeded,
    /// <summary>Finished with at least one failure.</summary>
    Failed,
    /// <summary>Not run because something it depends on failed (models only).</summary>
    Skipped,
    /// <summary>Stopped by the user before it finished.</summary>
    Cancelled,
    /// <summary>Planned by the scheduler and waiting for a free slot (runs only).</summary>
    Queued,
    /// <summary>Left running by a scheduler that stopped without finishing it (killed, or lost its lease); runs only.</summary>
    Interrupted,
}

/// <summary>A run of a selection of models.</summary>
/// <param name="Id">The run id.</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="FinishedAt">When the run ended; null while it runs.</param>
/// <param name="Status">The outcome so far.</param>
/// <param name="Selection">The <c>--select</c> expression, or null for everything.</param>
/// <param name="Error">The first error, when the run failed.</param>
public sealed record RunRecord(
    string Id,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    RunStatus Status,
    string? Selection,
    string? Error)
{
    /// <summary>The job the run belongs to; null for runs started outside a job (<c>medallion run</c>).</summary>
    public string? Job { get; init; }

    /// <summary>What started the run.</summary>
    public RunTrigger Trigger { get; init; } = RunTrigger.Manual;

    /// <summary>The start of the run's data interval (what model SQL reads as <c>getvariable('interval_start')</c>); null when it has none.</summary>
    public DateTimeOffset? IntervalStart { get; init; }

    /// <summary>The end of the run's data interval (the fire time, for scheduled runs); null when it has none.</summary>
    public DateTimeOffset? IntervalEnd { get; init; }

    /// <summary>The id of the scheduler (<see cref="LeaseHolder.Id"/>) that owns the run; null for runs outside a scheduler.</summary>
    public string? Holder { get; init; }

    /// <summary>The backfill the run is part of.</summary>
    public string? BackfillId { get; init; }

    /// <summary>The run this one re-runs (from failure).</summary>
    public string? ParentId { get; init; }

    /// <summary>For a run of a job that runs after another (<see cref="RunTrigger.After"/>): the upstream job's run whose success queued it.</summary>
    public string? UpstreamRunId { get; init; }

    /// <summary>Variables given when the run was triggered (<c>--var k=v</c>), visible to model SQL through <c>getvariable</c>.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>The environment whose tables the run built (<c>prod</c> unless an apply to another built it).</summary>
    public string Environment { get; init; } = EnvironmentStore.Production;
}

/// <summary>The outcome of one model in a run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Model">The model's table.</param>
/// <param name="Status">The model's outcome.</param>
/// <param name="RowsWritten">Rows written (inserted, updated or deleted) by the model, when known.</param>
/// <param name="UpstreamVersions">The version of each upstream table the model read, so the next incremental run reads only what changed since.</param>
/// <param name="Duration">How long the model took.</param>
/// <param name="Error">The error, when the model failed.</param>
/// <param name="CommittedVersion">The version of the model's table the run committed, when it committed one.</param>
public sealed record ModelRunRecord(
    string RunId,
    TableName Model,
    RunStatus Status,
    long? RowsWritten,
    IReadOnlyDictionary<string, long> UpstreamVersions,
    TimeSpan Duration,
    string? Error = null,
    long? CommittedVersion = null)
{
    /// <summary>
    /// When the model's step started in its run (a running model is recorded then, with this and its state alone); null
    /// for a step that never started (skipped, or cancelled before its turn) and for records older than this field.
    /// </summary>
    public DateTimeOffset? StartedAt { get; init; }
}

/// <summary>One pass over one database table by a run (or a <c>medallion ingest</c> session): what it read and how far its replication slot trails.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Target">The bronze table the rows landed in.</param>
/// <param name="Pass">The pass's number in the run, from 1 (continuous ingestion makes many).</param>
/// <param name="Source">The source's name.</param>
/// <param name="SourceTable">The table read, as the source names it.</param>
/// <param name="Mode">full, incremental or cdc.</param>
/// <param name="Rows">Rows written to bronze.</param>
/// <param name="Batches">Batches written to bronze.</param>
/// <param name="Position">The position reached, as text (a CDC LSN such as <c>0/1A2B3C</c>), when there is one.</param>
/// <param name="CommittedVersion">The bronze version the pass committed last, when it committed.</param>
/// <param name="SlotLagBytes">CDC: the server's WAL position minus the slot's confirmed position after the pass, in bytes (MySQL/MariaDB: the binlog after the committed position).</param>
/// <param name="RecordedAt">When the pass ended.</param>
public sealed record SourceRunRecord(
    string RunId,
    TableName Target,
    long Pass,
    string Source,
    string SourceTable,
    string Mode,
    long Rows,
    long Batches,
    string? Position,
    long? CommittedVersion,
    long? SlotLagBytes,
    DateTimeOffset RecordedAt);

/// <summary>The newest pass into one bronze table, and when a pass into it last reached a source position.</summary>
/// <param name="Latest">The newest pass (two passes recorded at the same instant both appear).</param>
/// <param name="PositionedAt">When the newest pass that reached a position ended; null when none did.</param>
public sealed record SourceState(SourceRunRecord Latest, DateTimeOffset? PositionedAt);

/// <summary>The result of one expectation on one model in a run.</summary>
/// <param name="RunId">The run (or the <c>medallion test</c> invocation).</param>
/// <param name="Model">The model's table.</param>
/// <param name="Rule">The rule's name, e.g. <c>not_null(customer_id)</c>.</param>
/// <param name="Severity">The rule's severity: <c>warn</c>, <c>quarantine</c> or <c>fail</c>.</param>
/// <param name="Passed">Whether the rule held; false as well when it was not checked (see <see cref="QualityResultRecord.NotChecked"/>).</param>
/// <param name="FailingRows">How many rows broke the rule.</param>
/// <param name="SampleRowsJson">A JSON array with a few failing rows.</param>
/// <param name="CheckedAt">When the rule was checked.</param>
public sealed partial record QualityResultRecord(
    string RunId,
    TableName Model,
    string Rule,
    string Severity,
    bool Passed,
    long FailingRows,
    string SampleRowsJson,
    DateTimeOffset CheckedAt)
{
    /// <summary>Why the rule was not checked in this run (<see cref="QualityStatus.NoNewRows"/>); null when it was.</summary>
    public string? NotChecked { get; init; }

    /// <summary>The environment whose run checked the rule (<c>prod</c> unless said).</summary>
    public string Environment { get; init; } = EnvironmentStore.Production;

    /// <summary>
    /// The physical table checked: the environment's pointer, <c>""</c> for the model's own location. Recorded as null, it is
    /// the one the environment reads then; read back, null is the model's own location.
    /// </summary>
    public string? Location { get; init; }

    /// <summary>Whether the rule was checked and broke.</summary>
    public bool Broken => !Passed && NotChecked is null;

    /// <summary>The result as shown: <c>passed</c>, <c>broken</c> or <c>not checked</c> (see <see cref="QualityStatus"/>).</summary>
    public string Status => NotChecked is not null ? QualityStatus.NotChecked : Passed ? QualityStatus.Passed : QualityStatus.Broken;

    /// <summary>The status with its reason, e.g. <c>not checked: no new rows</c>.</summary>
    public string StatusText => NotChecked is null ? Status : $"{QualityStatus.NotChecked}: {NotChecked}";
}

/// <summary>A quality rule whose latest check broke.</summary>
/// <param name="Latest">Its latest check: the run, severity and failing rows.</param>
/// <param name="BrokenSince">When it broke first after its last pass: the check that began the breakage.</param>
public sealed record BrokenQualityRule(QualityResultRecord Latest, DateTimeOffset BrokenSince);

/// <summary>
/// A lineage edge: data flows from <paramref name="Upstream"/> to <paramref name="Downstream"/>.
/// Table-level edges have null columns; column-level edges name both columns.
/// </summary>
/// <param name="Upstream">The table read.</param>
/// <param name="UpstreamColumn">The column read, or null for a table-level edge.</param>
/// <param name="Downstream">The table written.</param>
/// <param name="DownstreamColumn">The column written, or null for a table-level edge.</param>
public sealed record LineageEdge(TableName Upstream, string? UpstreamColumn, TableName Downstream, string? DownstreamColumn);

/// <summary>A user who may log in to the SQL endpoint and the server's REST API.</summary>
/// <param name="Name">The login name.</param>
/// <param name="CreatedAt">When the user was added.</param>
/// <param name="UpdatedAt">When the user's password or role last changed.</param>
/// <param name="Role">What the user may do on the server.</param>
public sealed record CatalogUser(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ServerRole Role)
{
    /// <summary>Whether the user holds every privilege: added with <c>--admin</c>, or a user from before grants existed.</summary>
    public bool IsAdmin { get; init; }

    /// <summary>The user's attributes (<c>region</c>, ...), which row filters read with <c>user.attribute('name')</c>.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a user may do through the server's REST API.</summary>
public enum ServerRole
{
    /// <summary>Read: jobs, runs, tables, lineage, quality results.</summary>
    Viewer,

    /// <summary>Read, and act: trigger, cancel, rerun, backfill, pause and unpause.</summary>
    Operator,
}

/// <summary>An API token of the server, as listed: the secret itself is shown once, when created, and stored only as a hash.</summary>
/// <param name="Id">The token's public id (its first part), used to list and revoke it.</param>
/// <param name="User">The user the token acts as.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ExpiresAt">When it stops working, or null for never.</param>
/// <param name="RevokedAt">When it was revoked, or null.</param>
/// <param name="LastUsedAt">When it last authenticated a request, or null.</param>
public sealed record ApiToken(string Id, string User, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>An action taken through the server (trigger, cancel, pause, ...), kept with who took it.</summary>
/// <param name="At">When.</param>
/// <param name="User">Who.</param>
/// <param name="Action">What, e.g. <c>trigger</c>.</param>
/// <param name="Target">On what, e.g. the job or run id.</param>
/// <param name="Detail">Arguments of the action (variables, interval range), or null.</param>
public sealed record ServerAction(DateTimeOffset At, string User, string Action, string Target, string? Detail);

/// <summary>A user to add (or whose password to change), with what the same act gives it.</summary>
/// <param name="Name">The login name (case-sensitive, as in PostgreSQL).</param>
/// <param name="ScramVerifier">The password's SCRAM-SHA-256 verifier (<see cref="Catalog.ScramVerifier"/>), never the password.</param>
public sealed record UserDefinition(string Name, string ScramVerifier)
{
    /// <summary>Roles (<c>medallion role create</c>) the user joins; roles it already holds stay.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>What the user may do through the server's REST API; null leaves it as it is (a new user is a viewer).</summary>
    public ServerRole? ServerRole { get; init; }

    /// <summary>Whether the user becomes an admin; false leaves an admin one.</summary>
    public bool IsAdmin { get; init; }

    /// <summary>Attributes to set (others the user has stay).</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
}
