using System.Globalization;

namespace Medallion.Engine.WriterHost;

/// <summary>
/// The multi-process concurrency workload: appenders add one row per commit (<c>a-writer-n</c>); mergers upsert ten
/// keys (<c>m-0</c> .. <c>m-9</c>) with a token naming the merge. Each process prints one line per operation:
/// <c>committed &lt;version&gt; &lt;token&gt;</c> or <c>conflict &lt;token&gt; &lt;message&gt;</c>.
/// </summary>
public static class ConcurrencyWorkload
{
    public static DeltaTableDefinition Table { get; } = new("id string, v long");

    public const int MergeKeys = 10;

    public static async Task AppendAsync(DeltaWriter writer, string path, int appender, int commits, TextWriter output)
    {
        for (int n = 0; n < commits; n++)
        {
            DeltaOperationResult r = await writer.WriteAsync(path, $"SELECT 'a-{appender}-{n}' AS id, {n}::BIGINT AS v");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"committed {r.Version} a-{appender}-{n}"));
        }
    }

    public static async Task MergeAsync(DeltaWriter writer, string path, int merger, int merges, TextWriter output)
    {
        for (int n = 0; n < merges; n++)
        {
            long token = MergeToken(merger, n);
            try
            {
                DeltaOperationResult r = await writer.MergeAsync(path, new DeltaMergeOptions(
                    $"SELECT 'm-' || k AS id, {token}::BIGINT AS v FROM range({MergeKeys}) t(k)", "target.id = source.id")
                {
                    WhenMatched = DeltaMergeMatchedAction.Update,
                    WhenNotMatchedInsert = true,
                });
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"committed {r.Version} {token}"));
            }
            catch (MedallionException e) when (e.Code == ErrorCode.DeltaConcurrentModification)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"conflict {token} {e.Message.ReplaceLineEndings(" ")}"));
            }
        }
    }

    public static long MergeToken(int merger, int n) => ((merger + 1) * 1000L) + n;
}
