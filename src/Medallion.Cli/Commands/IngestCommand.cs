using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Browsing;
using Medallion.Cli.Output;
using Medallion.DuckDb;
using Medallion.Ingestion;
using Medallion.Pipelines;
using Microsoft.Extensions.Logging;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion ingest [--select source] [--continuous]</c>: lands the project's database and HTTP API sources in
/// bronze, one pass by default, or continuously (CDC streaming, incremental polling) until Ctrl+C.
/// </summary>
internal static partial class IngestCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var select = new Option<string[]>("--select", "-s")
        {
            Description = "Only these sources (by name; repeat or separate with commas). Default: every database source.",
            AllowMultipleArgumentsPerToken = true,
        };
        var continuous = new Option<bool>("--continuous") { Description = "Keep going until Ctrl+C: CDC tables stream in micro-batches; incremental and full tables, and HTTP API sources, are read again every --interval." };
        var interval = new Option<double>("--interval") { Description = "Continuous mode: seconds between passes (and the CDC micro-batch length).", DefaultValueFactory = _ => 1.0 };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also print each commit, query and stream position." };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("ingest", "Land the project's database and HTTP API sources (sources/*.yml entries with a connection or a url) in their bronze tables; or one API (--source), or Debezium events pushed over HTTP (--listen).")
        {
            select, continuous, interval, verbose, format, project,
        };
        AdHocOptions adHoc = AddAdHocOptions(command);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using var log = new ConsoleLog(error, parsed.GetValue(verbose) ? LogLevel.Debug : LogLevel.Warning);
            string directory = ProjectOption.Resolve(parsed, project);
            MedallionProject loaded;
            IReadOnlyList<DatabaseSourceDefinition> sources;
            IReadOnlyList<ApiSourceDefinition> apiSources = [];
            if (parsed.GetValue(adHoc.Source) is { } url && DatabaseSourceUrl.IsDatabaseUrl(url))
            {
                (int? exit, MedallionProject? urlProject, DatabaseSourceDefinition? urlSource) = await PrepareDatabaseUrlAsync(parsed, adHoc, url, directory, output, error, cancellationToken).ConfigureAwait(false);
                if (exit is int usage)
                {
                    return usage;
                }

                loaded = urlProject!;
                sources = [urlSource!];
            }
            else
            {
                if (await CheckNoDatabaseUrlOptionsAsync(parsed, adHoc, error).ConfigureAwait(false) is int misuse)
                {
                    return misuse;
                }

                if (await RunAdHocAsync(parsed, adHoc, directory, output, error, log, cancellationToken).ConfigureAwait(false) is int adHocExit)
                {
                    return adHocExit;
                }

                loaded = await MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
                string[] names = (parsed.GetValue(select) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
                if (loaded.EndpointSources.FirstOrDefault(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)) is { } endpointSource)
                {
                    if (names.Length > 1)
                    {
                        await error.WriteLineAsync($"error: --select {endpointSource.Name} is a Debezium endpoint, which runs until Ctrl+C; select it alone, and the other sources in another command.").ConfigureAwait(false);
                        return MedallionCli.UsageError;
                    }

                    return await ListenAsync(loaded, endpointSource, output, log, cancellationToken).ConfigureAwait(false);
                }

                if (loaded.KafkaSources.FirstOrDefault(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)) is { } kafkaSource)
                {
                    if (names.Length > 1)
                    {
                        await error.WriteLineAsync($"error: --select {kafkaSource.Name} is a Kafka source; select it alone, and the other sources in another command.").ConfigureAwait(false);
                        return MedallionCli.UsageError;
                    }

                    return await ConsumeKafkaAsync(loaded, kafkaSource, parsed.GetValue(continuous), output, log, cancellationToken).ConfigureAwait(false);
                }

                (sources, apiSources) = Select(loaded, names);
            }

            bool json = parsed.GetValue(format) == ReportFormat.Json;
            double seconds = parsed.GetValue(interval);
            if (parsed.GetValue(continuous) && parsed.GetValue(adHoc.Once))
            {
                await error.WriteLineAsync("error: --once and --continuous contradict each other; give one of them.").ConfigureAwait(false);
                return MedallionCli.UsageError;
            }

            if (parsed.GetValue(continuous) && seconds is <= 0 or > 3600)
            {
                await error.WriteLineAsync($"error: --interval must be between 0 and 3600 seconds, but was {seconds.ToString(CultureInfo.InvariantCulture)}.").ConfigureAwait(false);
                return MedallionCli.UsageError;
            }

            using DuckDbDatabase database = IngestionRunner.OpenEngine();
            using DuckDbConnection connection = database.CreateConnection();
            // Each pass is kept in the catalog (created when missing), so 'medallion runs' shows rows and slot lag later.
            CatalogStore catalog = await CatalogStore.OpenAsync(loaded.Resolve(loaded.Catalog), cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (catalog.ConfigureAwait(false))
            {
                RunRecord run = await catalog.StartRunAsync("ingest " + string.Join(",", sources.Select(s => s.Name).Concat(apiSources.Select(s => s.Name))), cancellationToken).ConfigureAwait(false);
                var recorder = new PassRecorder(catalog, run.Id);
                RunStatus status = RunStatus.Failed;
                string? failure = null;
                try
                {
                    if (!parsed.GetValue(continuous))
                    {
                        foreach (DatabaseSourceDefinition source in sources)
                        {
                            foreach (DatabaseTableResult result in await DatabaseSourceLoader.LoadAsync(loaded, source, connection, log, cancellationToken).ConfigureAwait(false))
                            {
                                await recorder.RecordAsync(result, CancellationToken.None).ConfigureAwait(false);
                                if (!json)
                                {
                                    await output.WriteLineAsync(Describe(result)).ConfigureAwait(false);
                                }
                            }
                        }

                        foreach (ApiSourceDefinition source in apiSources)
                        {
                            DatabaseTableResult result = await ApiSourceLoader.LoadAsync(loaded, source, connection, null, log, cancellationToken).ConfigureAwait(false);
                            await recorder.RecordAsync(result, CancellationToken.None).ConfigureAwait(false);
                            if (!json)
                            {
                                await output.WriteLineAsync(Describe(result)).ConfigureAwait(false);
                            }
                        }

                        if (json)
                        {
                            JsonReport.Write(output, w =>
                            {
                                w.WriteStartArray();
                                recorder.Records.ForEach(r => BrowsingJson.SourceRun(w, r));
                                w.WriteEndArray();
                            });
                        }

                        status = RunStatus.Succeeded;
                        return 0;
                    }

                    if (!json)
                    {
                        await output.WriteLineAsync($"Ingesting {string.Join(", ", sources.Select(s => s.Name).Concat(apiSources.Select(s => s.Name)))} continuously; Ctrl+C stops after the last commit.").ConfigureAwait(false);
                    }

                    await DatabaseSourceLoader.RunContinuousAsync(loaded, sources, apiSources, connection, TimeSpan.FromSeconds(seconds), result =>
                    {
                        // Quiet passes are printed and kept only when the slot's lag moved by a megabyte or more.
                        if (!recorder.IsWorthKeeping(result))
                        {
                            return;
                        }

                        SourceRunRecord record = recorder.RecordAsync(result, CancellationToken.None).GetAwaiter().GetResult();
                        if (json)
                        {
                            JsonReport.WriteLine(output, w => BrowsingJson.SourceRun(w, record));
                        }
                        else
                        {
                            output.WriteLine(Describe(result));
                        }
                    }, log, cancellationToken).ConfigureAwait(false);
                    if (!json)
                    {
                        await output.WriteLineAsync("Stopped; every commit above is durable.").ConfigureAwait(false);
                    }

                    status = RunStatus.Succeeded;
                    return 0;
                }
                catch (MedallionException e)
                {
                    failure = $"{e.CodeText}: {e.Message}";
                    throw;
                }
                catch (OperationCanceledException)
                {
                    status = RunStatus.Cancelled;
                    throw;
                }
                finally
                {
                    await catalog.FinishRunAsync(run.Id, status, failure, CancellationToken.None).ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    /// <summary>Numbers the passes of each table in this ingest session and keeps them in the catalog.</summary>
    private sealed class PassRecorder(CatalogStore catalog, string runId)
    {
        private readonly Dictionary<TableName, (long Pass, long? Lag)> _last = [];

        public List<SourceRunRecord> Records { get; } = [];

        public bool IsWorthKeeping(DatabaseTableResult result) =>
            result.Result.Rows > 0
            || !_last.TryGetValue(result.Target, out (long Pass, long? Lag) last)
            || Math.Abs((result.SlotLagBytes ?? 0) - (last.Lag ?? 0)) >= 1024 * 1024;

        public async Task<SourceRunRecord> RecordAsync(DatabaseTableResult result, CancellationToken cancellationToken)
        {
            long pass = _last.TryGetValue(result.Target, out (long Pass, long? Lag) last) ? last.Pass + 1 : 1;
            _last[result.Target] = (pass, result.SlotLagBytes);
            SourceRunRecord record = result.ToRecord(runId, pass, DateTimeOffset.UtcNow);
            await catalog.RecordSourceRunAsync(record, cancellationToken).ConfigureAwait(false);
            Records.Add(record);
            return record;
        }
    }

    private static (IReadOnlyList<DatabaseSourceDefinition> Databases, IReadOnlyList<ApiSourceDefinition> Apis) Select(MedallionProject project, string[] names)
    {
        if (project.DatabaseSources.Count == 0 && project.ApiSources.Count == 0)
        {
            throw new MedallionException(ErrorCode.ProjectFileInvalid,
                $"The project in '{project.Directory}' has no database or HTTP API sources.\nHelp: add an entry with 'connection:' and 'tables:', or with 'url:', to a file under sources/ (see 'medallion init'); a Debezium endpoint source (with 'listen:') runs with --select <name>.");
        }

        if (names.Length == 0)
        {
            return (project.DatabaseSources, project.ApiSources);
        }

        var chosen = new List<DatabaseSourceDefinition>();
        var apis = new List<ApiSourceDefinition>();
        foreach (string name in names)
        {
            if (project.ApiSources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) is { } api)
            {
                apis.Add(api);
                continue;
            }

            chosen.Add(project.DatabaseSources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new MedallionException(ErrorCode.ProjectFileInvalid,
                    $"--select names no database source '{name}'.\nHelp: the project's sources are {string.Join(", ", project.DatabaseSources.Select(s => s.Name).Concat(project.ApiSources.Select(s => s.Name)).Concat(project.EndpointSources.Select(s => s.Name)))}."));
        }

        return (chosen, apis);
    }

    private static string Describe(DatabaseTableResult result)
    {
        string version = result.Version is long v ? $"version {v}" : "no table yet";
        string lag = result.SlotLagBytes is long bytes ? $", slot lag {bytes} bytes" : string.Empty;
        return $"{result.Source}: {result.Table} -> {result.Target}: {result.Result.Rows} rows in {result.Result.Batches} batches, {version}{lag}";
    }
}
