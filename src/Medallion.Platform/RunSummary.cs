using System;
using System.Text.Json.Serialization;
using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>A run with its models counted by outcome.</summary>
/// <param name="Run">The run.</param>
/// <param name="Succeeded">Models that succeeded.</param>
/// <param name="Failed">Models that failed.</param>
/// <param name="Skipped">Models skipped because something they read failed.</param>
/// <param name="Other">Models in any other state (running, cancelled).</param>
public sealed record RunSummary(RunRecord Run, int Succeeded, int Failed, int Skipped, int Other)
{
    /// <summary>How long the run took; null while it runs. Not in the JSON contract: its run's times give it.</summary>
    [JsonIgnore]
    public TimeSpan? Duration => Run.FinishedAt - Run.StartedAt;
}
