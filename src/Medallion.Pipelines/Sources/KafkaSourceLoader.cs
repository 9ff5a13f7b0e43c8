using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Ingestion.Kafka;
using Microsoft.Extensions.Logging;

namespace Medallion.Pipelines.Sources;

/// <summary>Runs a project's Kafka source into its bronze table (see <see cref="KafkaIngestion"/> for the guarantees).</summary>
public static class KafkaSourceLoader
{
    /// <summary>
    /// The client options of a source: <c>bootstrap_servers</c> and <c>group_id</c> (default <c>medallion-&lt;project&gt;</c>)
    /// of its connection; every other connection key is a librdkafka property, written with dots or underscores
    /// (<c>security_protocol</c> is <c>security.protocol</c>).
    /// </summary>
    public static KafkaSourceOptions Options(MedallionProject project, KafkaSourceDefinition source)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        IReadOnlyDictionary<string, string> settings = source.Connection.Settings;
        var client = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in settings)
        {
            if (key is not ("bootstrap_servers" or "group_id"))
            {
                client[key.Replace('_', '.')] = value;
            }
        }

        return new KafkaSourceOptions
        {
            Name = source.Name,
            Target = source.Target.ToString(),
            BootstrapServers = settings["bootstrap_servers"],
            GroupId = settings.TryGetValue("group_id", out string? group) ? group : "medallion-" + project.Name,
            Topics = source.Topics,
            Format = source.Format,
            Settings = client,
        };
    }

    /// <summary>Reads the source's topics into its bronze table, until caught up or, when <paramref name="continuous"/>, until cancelled.</summary>
    /// <exception cref="MedallionException">See <see cref="KafkaIngestion.RunAsync"/>; what was committed stays committed.</exception>
    public static Task<KafkaIngestionResult> RunAsync(
        MedallionProject project, KafkaSourceDefinition source, DuckDbConnection connection, bool continuous, IProgress<KafkaCommit>? progress = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        string table = ProjectCatalog.TableLocation(project, source.Target);
        return new KafkaIngestion(new DeltaWriter(connection) { LoggerFactory = loggerFactory, Stores = project.Stores }, table, Options(project, source), loggerFactory)
            .RunAsync(untilCaughtUp: !continuous, progress, cancellationToken);
    }
}
