using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>
/// The <c>job</c> object of a <c>commitInfo</c>: the scheduled run that made the commit, as Databricks records the job
/// run behind each of its commits (<c>jobId</c>, <c>jobName</c>, <c>runId</c>). It names the run in the table's history,
/// and it is how a retried run finds out that an earlier attempt of it committed when the table's <c>txn</c> cannot tell
/// (a newer run's stands there).
/// </summary>
/// <param name="RunId">The run's id.</param>
/// <param name="JobName">The job the run belongs to; null for a run of no job (a selection built by hand).</param>
public sealed record CommitJob(string RunId, string? JobName)
{
    internal static CommitJob? Parse(JsonElement commitInfo) =>
        commitInfo.TryGet("job", out JsonElement job) && job.String("runId") is { Length: > 0 } runId ? new(runId, job.String("jobName")) : null;

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("job");
        if (JobName is not null)
        {
            w.WriteString("jobId", JobName);
            w.WriteString("jobName", JobName);
        }

        w.WriteString("runId", RunId);
        w.WriteEndObject();
    }
}
