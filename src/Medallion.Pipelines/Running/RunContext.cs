using System;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Running;

/// <summary>What every step of one run shares. The database is shared; each step opens its own connection on it.</summary>
internal sealed record RunContext(
    ProjectEnvironment Environment,
    ModelGraph Graph,
    CatalogStore Catalog,
    DuckDbDatabase Database,
    string RunId,
    RunOptions Options,
    TimeProvider Time,
    DateTimeOffset StartedAt,
    ISourceLoader Sources,
    IQualityGate Quality)
{
    public MedallionProject Project => Graph.Project;

    /// <summary>Where the run's environment keeps each model's table: the run reads and writes there (<see cref="RunOptions.Environment"/>).</summary>
    public ModelTables Tables { get; init; } = ModelTables.OwnLocations(Graph.Project);

    /// <summary>
    /// The latest snapshot every step of the run saw of each table (the caller's, shared by its runs, when it gives one):
    /// a model reads its upstream from where the step that committed it left off, listing only the log entries since,
    /// instead of loading the table's checkpoint and commits again. Each use still lists the log, so other writers'
    /// commits are seen.
    /// </summary>
    public Engine.DeltaSnapshotCache Snapshots { get; } = Options.Snapshots ?? new Engine.DeltaSnapshotCache();

    /// <summary>
    /// The models' fingerprints with the run's variables, recorded with what the run builds: each computed when first
    /// asked for, from the models it reads, so a run of one model of many hashes only what that model reads.
    /// </summary>
    internal Planning.ModelFingerprinter Fingerprints => _fingerprints.Value;

    private readonly Lazy<Planning.ModelFingerprinter> _fingerprints = new(() => new Planning.ModelFingerprinter(Graph, Options.Variables));

    /// <summary>Where the run's layers log (<see cref="ProjectEnvironment.Logs"/>).</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory Logs => Environment.Logs;

    /// <summary>A writer of the run's tables on <paramref name="connection"/>: the project's stores, the run's snapshots and logs, each commit naming the run.</summary>
    /// <param name="connection">The step's connection.</param>
    /// <param name="timeZone">The session zone the writer sets (<see cref="Engine.DeltaWriter.TimeZone"/>); null keeps the connection's.</param>
    public Engine.DeltaWriter Writer(DuckDbConnection connection, string? timeZone = "UTC") =>
        Environment.CreateWriter(connection, Snapshots, timeZone, Options.CommitFence, new Delta.Actions.CommitJob(RunId, Options.Job));
}
