using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>A job with its last run, as <c>medallion jobs --format json</c> lists it.</summary>
/// <param name="Job">The job as the server runs it (as <c>GET /api/jobs</c> answers).</param>
/// <param name="LastRun">Its newest run; null when it never ran.</param>
public sealed record JobSummary(JobView Job, RunRecord? LastRun);
