using System;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

/// <summary>A job as the scheduler sees it now.</summary>
/// <param name="Job">The job's definition.</param>
/// <param name="Paused">Whether it is paused (at run time, or by its file).</param>
/// <param name="NextFireTime">Its next fire time, for time-scheduled jobs.</param>
/// <param name="ActiveRuns">How many of its runs are under way.</param>
/// <param name="QueuedRuns">How many of its runs wait to start.</param>
public sealed record JobStatus(JobDefinition Job, bool Paused, DateTimeOffset? NextFireTime, int ActiveRuns, int QueuedRuns);
