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
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;
using Medallion.Platform;
using Medallion.Platform.Json;
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
        Option<double> interval = ContinuousInterval.CreateOption("Continuous mode: seconds between passes; CDC tables commit changes as they come (each commit takes what arrived during the one before), at most four times and at least once per interval.");
        Option<string> grace = ShutdownGrace.CreateOption("Continuous mode: on Ctrl+C or SIGTERM, how long the passes of incremental and full tables and of APIs under way may go on to commit before they are cancelled (committing nothing), e.g. 30s; a CDC stream stops at once.");
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also print each commit, query and stream position." };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("ingest", "Land the project's database and HTTP API sources (sources/*.yml entries with a connection or a url) in their bronze tables; or one API (--source), or Debezium events pushed over HTTP (--listen).")
        {
            select, continuous, interval, grace, verbose, format, project,
        };
        AdHocOptions adHoc = AddAdHocOptions(command);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using var log = new ConsoleLog(error, parsed.GetValue(verbose) ? LogLevel.Debug : LogLevel.Warning);
            string directory = ProjectOption.Resolve(parsed, project);
            ProjectEnvironment environment;
            IngestSelection selection;
            if (parsed.GetValue(adHoc.Source) is { } url && DatabaseSourceUrl.IsDatabaseUrl(url))
            {
                (environment, DatabaseSourceDefinition urlSource) = await PrepareDatabaseUrlAsync(parsed, adHoc, url, directory, output, error, log, cancellationToken).ConfigureAwait(false);
                selection = new IngestSelection([urlSource], []);
            }
            else
            {
                RefuseDatabaseUrlOptions(parsed, adHoc);

                if (await RunAdHocAsync(parsed, adHoc, directory, output, log, cancellationToken).ConfigureAwait(false) is int adHocExit)
                {
                    return adHocExit;
                }

                MedallionProject loaded = await MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
                string[] names = (parsed.GetValue(select) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
                if (loaded.EndpointSources.FirstOrDefault(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)) is { } endpointSource)
                {
                    if (names.Length > 1)
                    {
                        throw new MedallionException(ErrorCode.CommandLineInvalid, $"--select {endpointSource.Name} is a Debezium endpoint, which runs until Ctrl+C; select it alone, and the other sources in another command.");
                    }

                    return await ListenAsync(loaded, endpointSource, output, log, cancellationToken).ConfigureAwait(false);
                }

                if (loaded.KafkaSources.FirstOrDefault(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)) is { } kafkaSource)
                {
                    if (names.Length > 1)
                    {
                        throw new MedallionException(ErrorCode.CommandLineInvalid, $"--select {kafkaSource.Name} is a Kafka source; select it alone, and the other sources in another command.");
                    }

                    return await ConsumeKafkaAsync(loaded, kafkaSource, parsed.GetValue(continuous), output, log, cancellationToken).ConfigureAwait(false);
                }

                selection = SourceIngestion.Select(loaded, names);
                environment = new ProjectEnvironment(loaded, new ProjectEnvironmentOptions { Logs = log });
            }

            await using ProjectEnvironment owned = environment;

            bool json = parsed.GetValue(format) == ReportFormat.Json;
            double seconds = parsed.GetValue(interval);
            if (parsed.GetValue(continuous) && parsed.GetValue(adHoc.Once))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, "--once and --continuous contradict each other; give one of them.");
            }

            if (!parsed.GetValue(continuous))
            {
                var records = new List<SourceRunRecord>();
                await foreach (IngestPass pass in SourceIngestion.IngestOnceAsync(environment, selection, cancellationToken).ConfigureAwait(false))
                {
                    records.Add(pass.Record);
                    if (!json)
                    {
                        await output.WriteLineAsync(Describe(pass.Result)).ConfigureAwait(false);
                    }
                }

                if (json)
                {
                    JsonReport.Write(output, w => RecordJson.Write<IReadOnlyList<SourceRunRecord>>(w, records));
                }

                return 0;
            }

            if (!json)
            {
                await output.WriteLineAsync($"Ingesting {string.Join(", ", selection.Names)} continuously; Ctrl+C stops after the last commit.").ConfigureAwait(false);
            }

            TimeSpan gracePeriod = SqlEndpointArguments.ReadDuration(parsed, grace);
            using var shutdown = new ShutdownGrace(gracePeriod, cancellationToken);
            Task ingesting = PrintPassesAsync(SourceIngestion.IngestContinuouslyAsync(environment, selection, TimeSpan.FromSeconds(seconds), cancellationToken, shutdown.Abort), json, output);
            if (!await shutdown.EndedAsync(ingesting).ConfigureAwait(false))
            {
                await output.WriteLineAsync($"Stopped without waiting any longer: the pass under way did not end within {DurationText.Format(ShutdownGrace.AfterCancel)} of its cancellation at the end of the {DurationText.Format(gracePeriod)} grace. Every commit above is durable; the next ingest picks up where they left off.").ConfigureAwait(false);
                return MedallionCli.Failure;
            }

            if (shutdown.Aborted)
            {
                await output.WriteLineAsync($"Stopped: the passes under way did not commit within the {DurationText.Format(gracePeriod)} grace and were cancelled (they committed nothing). Every commit above is durable.").ConfigureAwait(false);
                return MedallionCli.Cancelled;
            }

            if (!json)
            {
                await output.WriteLineAsync("Stopped; every commit above is durable.").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Prints each pass of a continuous ingest as it comes (JSON: one document a line).</summary>
    private static async Task PrintPassesAsync(IAsyncEnumerable<IngestPass> passes, bool json, TextWriter output)
    {
        await foreach (IngestPass pass in passes.ConfigureAwait(false))
        {
            if (json)
            {
                JsonReport.WriteLine(output, w => RecordJson.Write(w, pass.Record));
            }
            else
            {
                await output.WriteLineAsync(Describe(pass.Result)).ConfigureAwait(false);
            }
        }
    }

    private static string Describe(DatabaseTableResult result)
    {
        string version = result.Version is long v ? $"version {v}" : "no table yet";
        string lag = result.SlotLagBytes is long bytes ? $", slot lag {bytes} bytes" : string.Empty;
        return $"{result.Source}: {result.Table} -> {result.Target}: {result.Result.Rows} rows in {result.Result.Batches} batches, {version}{lag}";
    }
}
