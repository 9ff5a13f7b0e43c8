using System.Globalization;
using Medallion.Engine;
using Medallion.Ingestion.Kafka;

namespace Medallion.Engine.WriterHost;

/// <summary>
/// A Kafka ingestion that streams until killed, in small batches so that a kill lands between, during and after
/// commits; prints "committed &lt;version&gt; &lt;messages&gt;" after each commit, then pauses a little so that a test
/// watching the output can kill the consumer before it has read the whole topic, however fast the machine commits.
/// </summary>
public static class KafkaWorkload
{
    public static Task RunAsync(DeltaWriter writer, string table, string target, string bootstrap, string topic, string group, TextWriter output)
    {
        var ingestion = new KafkaIngestion(writer, table, new KafkaSourceOptions
        {
            Name = "events",
            Target = target,
            BootstrapServers = bootstrap,
            GroupId = group,
            Topics = [topic],
            MaxBatchMessages = 50,
            MaxBatchDelay = TimeSpan.FromMilliseconds(100),
            // As in the Kafka tests: the mock cluster's coordinator waits a session timeout after a member dies.
            Settings = new Dictionary<string, string> { ["session.timeout.ms"] = "4000", ["heartbeat.interval.ms"] = "800" },
        });
        var progress = new Progress(output);
        return ingestion.RunAsync(untilCaughtUp: false, progress);
    }

    private static readonly TimeSpan PauseAfterCommit = TimeSpan.FromMilliseconds(150);

    private sealed class Progress(TextWriter output) : IProgress<KafkaCommit>
    {
        public void Report(KafkaCommit value)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"committed {value.Version} {value.Messages}"));
            output.Flush();
            // Report runs on the ingestion loop, so the pause holds back the next batch.
            Thread.Sleep(PauseAfterCommit);
        }
    }
}
