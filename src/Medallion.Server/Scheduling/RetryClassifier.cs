using System.Linq;
using Medallion.Pipelines.Running;

namespace Medallion.Server.Scheduling;

/// <summary>
/// Which failed attempts are worth another: only those where every failed step failed transiently (a source that
/// cannot be reached, a Delta commit conflict, a lost connection). A SQL error, a failed <c>fail</c> expectation or a
/// timeout fails the same way again, so it is never retried.
/// </summary>
internal static class RetryClassifier
{
    public static bool IsTransient(RunResult result)
    {
        var failed = result.Steps.Where(s => s.State == StepState.Failed).ToList();
        return failed.Count > 0 && failed.All(s => s.IsTransient);
    }
}
