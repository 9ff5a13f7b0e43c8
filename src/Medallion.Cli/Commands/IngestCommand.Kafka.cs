using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Ingestion;
using Medallion.Ingestion.Kafka;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;
using Microsoft.Extensions.Logging;

namespace Medallion.Cli.Commands;

internal static partial class IngestCommand
{
    /// <summary>
    /// <c>medallion ingest --select &lt;kafka source&gt; [--continuous]</c>: reads the source's topics into bronze until
    /// caught up, or with <c>--continuous</c> until Ctrl+C (every commit printed; what was committed stays committed).
    /// </summary>
    private static async Task<int> ConsumeKafkaAsync(MedallionProject project, KafkaSourceDefinition source, bool continuous, TextWriter output, ILoggerFactory log, CancellationToken cancellationToken)
    {
        using DuckDbDatabase database = DuckDbEngines.Default.OpenIngestion();
        using DuckDbConnection connection = database.CreateConnection();
        string topics = string.Join(", ", source.Topics);
        var committed = new CommitPrinter(output, source);
        if (continuous)
        {
            await output.WriteLineAsync($"Consuming {topics} into {source.Target} ({ProjectCatalog.TableLocation(project, source.Target)}); Ctrl+C stops.").ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            KafkaIngestionResult result = await KafkaSourceLoader.RunAsync(project, source, connection, continuous, committed, log, cancellationToken).ConfigureAwait(false);
            string version = result.LastVersion is long v ? $"version {v}" : "nothing new";
            await output.WriteLineAsync($"{source.Name}: {topics} -> {source.Target}: {result.Messages} messages, {result.Rows} rows in {result.Commits} commits, {version}").ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (continuous && cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync($"Stopped; {committed.Messages} messages committed, each with its partition's offset in {source.Target}'s Delta log.").ConfigureAwait(false);
            return 0;
        }
    }

    /// <summary>Prints each commit of a continuous Kafka ingestion.</summary>
    private sealed class CommitPrinter(TextWriter output, KafkaSourceDefinition source) : IProgress<KafkaCommit>
    {
        private long _messages;

        public long Messages => Interlocked.Read(ref _messages);

        public void Report(KafkaCommit value)
        {
            Interlocked.Add(ref _messages, value.Messages);
            output.WriteLine($"{source.Name}: committed version {value.Version} of {source.Target}, {value.Messages} messages, {value.Rows} rows");
            output.Flush();
        }
    }
}
