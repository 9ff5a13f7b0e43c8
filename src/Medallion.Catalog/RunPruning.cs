using System;

namespace Medallion.Catalog;

/// <summary>What pruning the run history removed from the catalog, or would remove on a dry run.</summary>
/// <param name="Before">Runs that started before this instant were candidates.</param>
/// <param name="DryRun">True when nothing was deleted and the counts say what would have been.</param>
/// <param name="Runs">Runs removed.</param>
/// <param name="ModelRuns">Their models' outcomes.</param>
/// <param name="SourceRuns">Their passes over database tables.</param>
/// <param name="Attempts">Their attempts.</param>
/// <param name="Logs">Their log lines.</param>
/// <param name="QualityResults">Their quality results.</param>
/// <param name="TableVersions">The catalog's records of table versions they committed (never a table's latest; the Delta log keeps its own history).</param>
/// <param name="Backfills">Finished backfills left with no run.</param>
/// <param name="KeptRuns">Runs old enough that were kept all the same: running or queued, the latest of their job, or the last to build a model.</param>
/// <param name="BytesFreed">How much smaller the catalog file became (0 on a dry run); null when the catalog is not a file (PostgreSQL reuses the space).</param>
public sealed record RunPruning(
    DateTimeOffset Before,
    bool DryRun,
    int Runs,
    int ModelRuns,
    int SourceRuns,
    int Attempts,
    int Logs,
    int QualityResults,
    int TableVersions,
    int Backfills,
    int KeptRuns,
    long? BytesFreed);
