using System.Globalization;

namespace Medallion.Engine.WriterHost;

/// <summary>
/// The operations the crash test kills mid-way, each a deterministic function of its step number, and the model of
/// what a committed step does to the table's rows (id to v), so the test knows every committed version's exact rows.
/// </summary>
public static class CrashWorkload
{
    public static readonly string[] Operations = ["append", "overwrite", "merge", "optimize", "checkpoint"];

    /// <summary>The table the workload writes: ids with a value, a checkpoint every 5 commits.</summary>
    public static DeltaTableDefinition Table { get; } = new("id long, v long")
    {
        Properties = new Dictionary<string, string> { ["delta.checkpointInterval"] = "5" },
    };

    public static Task<DeltaOperationResult> RunAsync(DeltaWriter writer, string operation, string path, int step) => operation switch
    {
        // Appends and overwrites carry a txn, so a retry after a crash is a no-op when the killed run committed.
        "append" => writer.WriteAsync(path, $"SELECT {step} * 1000 + j AS id, {step} AS v FROM range(200) t(j)",
            new DeltaWriteOptions { ApplicationId = "crash-append", ApplicationVersion = step }),
        "overwrite" => writer.WriteAsync(path, $"SELECT {step} * 1000 + j AS id, {step} AS v FROM range(100) t(j)",
            new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite, ApplicationId = "crash-overwrite", ApplicationVersion = step }),
        "merge" => writer.MergeAsync(path, new DeltaMergeOptions(MergeSource(step), "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        }),
        "optimize" => writer.OptimizeAsync(path),
        "checkpoint" => writer.CheckpointAsync(path),
        _ => throw new ArgumentException($"Unknown operation '{operation}'.", nameof(operation)),
    };

    private static string MergeSource(int step) =>
        $"SELECT DISTINCT (x * 37) % ({step} * 1000 + 1) AS id, {step} AS v FROM range(60) t(x)";

    /// <summary>The rows after <paramref name="operation"/> of <paramref name="step"/> committed on <paramref name="rows"/>.</summary>
    public static Dictionary<long, long> Apply(string operation, int step, IReadOnlyDictionary<long, long> rows)
    {
        var next = new Dictionary<long, long>(rows);
        switch (operation)
        {
            case "append":
                for (int j = 0; j < 200; j++)
                {
                    next.Add((step * 1000L) + j, step);
                }

                break;
            case "overwrite":
                next.Clear();
                for (int j = 0; j < 100; j++)
                {
                    next.Add((step * 1000L) + j, step);
                }

                break;
            case "merge":
                for (int x = 0; x < 60; x++)
                {
                    next[x * 37L % ((step * 1000L) + 1)] = step;
                }

                break;
        }

        return next;
    }

    /// <summary>Rows rendered as the test fixture renders them ("id|v", sorted ordinally).</summary>
    public static List<string> Render(IReadOnlyDictionary<long, long> rows)
    {
        var list = rows.Select(r => r.Key.ToString(CultureInfo.InvariantCulture) + "|" + r.Value.ToString(CultureInfo.InvariantCulture)).ToList();
        list.Sort(StringComparer.Ordinal);
        return list;
    }
}
