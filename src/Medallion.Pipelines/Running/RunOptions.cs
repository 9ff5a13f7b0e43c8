using System;
using System.Collections.Generic;
using System.Threading;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Running;

/// <summary>What <see cref="ProjectRunner.RunAsync(ProjectEnvironment, RunOptions?, System.Threading.CancellationToken)"/> runs and how.</summary>
public sealed record RunOptions
{
    /// <summary>A <c>--select</c> expression (see <see cref="ModelGraph.Select"/>); null runs every model.</summary>
    public string? Select { get; init; }

    /// <summary>
    /// The environment whose tables the run builds and reads (<see cref="ModelTables"/>): <c>prod</c> unless an apply to
    /// another environment runs it.
    /// </summary>
    public string Environment { get; init; } = EnvironmentStore.Production;

    /// <summary>
    /// Models the run builds into other physical tables than the environment's pointers name (model to location relative
    /// to its namespace's storage): what an apply builds before it points the environment at them.
    /// </summary>
    public IReadOnlyDictionary<TableName, string?> Pointers { get; init; } = new Dictionary<TableName, string?>();

    /// <summary>Rebuild every selected model from all of its upstream data, ignoring what earlier runs consumed.</summary>
    public bool FullRefresh { get; init; }

    /// <summary>How many steps run at once (default: the processor count).</summary>
    public int Threads { get; init; } = System.Environment.ProcessorCount;

    /// <summary>The clock for run timestamps and SCD2 validity; the system clock when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>
    /// CDC sources: the micro-batch interval (a pass commits at least this often and ends after about this long, so
    /// the models downstream run); null drains the changes available now (what a single run does).
    /// </summary>
    public TimeSpan? ChangeInterval { get; init; }

    /// <summary>
    /// The database sources' connectors a continuous run keeps from one pass to the next, so a CDC table's replication
    /// stream stays open between them (the run disposes them at its end); null makes a connector for each pass.
    /// </summary>
    public SourceConnectors? Connectors { get; init; }

    /// <summary>
    /// A model whose upstream steps in this run all committed nothing, and whose last run succeeded, is not built
    /// again (it is reported succeeded, "nothing new upstream"): what keeps the passes of a continuous run cheap.
    /// </summary>
    public bool SkipIdleModels { get; init; }

    /// <summary>
    /// A run that succeeded without committing anything leaves no record in the catalog (run, model and source runs,
    /// quality results): what keeps the history of a continuous run to the passes that changed a table or failed.
    /// </summary>
    public bool ForgetIdleRun { get; init; }

    /// <summary>
    /// Sources (by name: file, database or API sources) to ingest in this run besides those the selected models read;
    /// see <see cref="SourcesOnly"/> to run them without models.
    /// </summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>Run only <see cref="Sources"/>, no models (a job that only ingests).</summary>
    public bool SourcesOnly { get; init; }

    /// <summary>
    /// Bronze tables that something else keeps loading (a server's continuous jobs stream them): the run loads none of
    /// them, and models read them as they are, so the run never fights the stream for its source.
    /// </summary>
    public IReadOnlySet<TableName> StreamedTables { get; init; } = new HashSet<TableName>();

    /// <summary>
    /// The catalog run to record into, created beforehand by its owner (a scheduler, with the run's job, trigger and data
    /// interval); null starts a run of its own. With a run id the runner records the steps of this attempt into it and
    /// leaves the run's own status to its owner, which may try again.
    /// </summary>
    public string? RunId { get; init; }

    /// <summary>
    /// Which attempt of the catalog run <see cref="RunId"/> this is (1 for the first, as its owner numbered it); null when
    /// unknown. A first attempt has no earlier one whose commits it must look for before it writes, so it reads no table
    /// history back; any other value, or none, does.
    /// </summary>
    public int? Attempt { get; init; }

    /// <summary>The job the run belongs to, named with the run in each of its commits (<see cref="Delta.Actions.CommitJob"/>); null for none.</summary>
    public string? Job { get; init; }

    /// <summary>
    /// DuckDB variables set on each model's connection before its SQL runs, so model SQL reads them with
    /// <c>getvariable('name')</c>: a <see cref="DateTimeOffset"/> becomes a <c>TIMESTAMPTZ</c>, anything else its text
    /// (<c>VARCHAR</c>). A scheduled run sets <c>interval_start</c> and <c>interval_end</c>. Names are SQL identifiers.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Variables { get; init; } = new Dictionary<string, object?>();

    /// <summary>
    /// The time zone the run's data interval is cut in (a scheduled job's <c>timezone</c>). Each model's SQL runs with it
    /// as DuckDB's session <c>TimeZone</c>, so a DATE compared with <c>getvariable('interval_start')</c>, or a timestamp
    /// cast to DATE, is a day of that zone; and an <c>interval_column</c> of type DATE (or TIMESTAMP without a zone) is
    /// bounded by the interval's local dates (or wall-clock times) there. Null: UTC, whatever the machine's zone.
    /// </summary>
    public TimeZoneInfo? TimeZone { get; init; }

    /// <summary>
    /// The engine every model of the run runs on (a job's <c>engine:</c>), in place of each model's own; null keeps each
    /// model's (<see cref="ModelConfig.Engine"/>, DuckDB when it names none).
    /// </summary>
    public EngineChoice? Engine { get; init; }

    /// <summary>How long one model may run; past it the model's DuckDB query is interrupted and nothing is committed (the step fails with <see cref="ErrorCode.RunTimedOut"/>). Null: no limit.</summary>
    public TimeSpan? ModelTimeout { get; init; }

    /// <summary>
    /// Shared by runs that execute side by side (a scheduler's), this caps how many models and sources run at once across
    /// all of them: each step waits for a slot before it starts. Null: only <see cref="Threads"/> limits this run.
    /// </summary>
    public SemaphoreSlim? StepSlots { get; init; }

    /// <summary>Receives each step's state changes as they happen (called from worker threads, one call at a time).</summary>
    public IProgress<RunEvent>? Progress { get; init; }

    /// <summary>
    /// The project's model graph, already built (<see cref="ModelGraph.BuildAsync"/>) and registered in its catalog
    /// (<see cref="ProjectCatalog.RegisterAsync(ModelGraph, CatalogStore, string, System.Threading.CancellationToken)"/>) by a caller that runs the same project many times (a scheduler):
    /// the run then neither parses every model again nor rewrites every table's catalog entry. Null: the run does both.
    /// It must be the graph of the project being run.
    /// </summary>
    public ModelGraph? Graph { get; init; }

    /// <summary>
    /// A DuckDB database to run the steps on (each step opens its own connection on it), shared by the runs of a caller
    /// that runs many (a scheduler), which keeps it open. Null: the run opens an in-memory database of its own.
    /// </summary>
    public DuckDbDatabase? Database { get; init; }

    /// <summary>
    /// The latest snapshots of the model tables, shared by the runs of a caller that runs many (a scheduler), so a model
    /// run reads only the log entries since the previous run's commit instead of the table's checkpoint. Null: each
    /// model's writer starts from the table's checkpoint.
    /// </summary>
    public Engine.DeltaSnapshotCache? Snapshots { get; init; }

    /// <summary>
    /// Checked before each commit of the run's models and sources (<see cref="Engine.DeltaWriter.CommitFence"/>): a
    /// scheduler refuses the commits of a run it may no longer hold. Null: no check.
    /// </summary>
    public Func<CancellationToken, System.Threading.Tasks.ValueTask>? CommitFence { get; init; }
}
