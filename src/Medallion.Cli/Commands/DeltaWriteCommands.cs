using System;
using System.Buffers;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Output;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Environments;

namespace Medallion.Cli.Commands;

/// <summary>
/// The write side of <c>medallion delta</c>: create, write, delete, update, merge, optimize, vacuum, restore, checkpoint.
/// Each prints what it did (version committed, files added and removed, rows affected), or one JSON object with <c>--format json</c>.
/// </summary>
internal static class DeltaWriteCommands
{
    /// <summary>The write subcommands, for <see cref="DeltaCommands"/> to add under <c>delta</c>.</summary>
    public static IEnumerable<Command> Create(TextWriter output)
    {
        yield return CreateCommand(output);
        yield return WriteCommand(output);
        yield return DeleteCommand(output);
        yield return UpdateCommand(output);
        yield return MergeCommand(output);
        yield return OptimizeCommand(output);
        yield return VacuumCommand(output);
        yield return RestoreCommand(output);
        yield return CheckpointCommand(output);
    }

    private static Argument<string> PathArgument() => new("path") { Description = "The table directory (holding _delta_log)." };

    private static Command CreateCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var schema = new Option<string>("--schema") { Description = "Columns, e.g. \"id long NOT NULL, name string, ts timestamp, day date GENERATED ALWAYS AS (CAST(ts AS DATE))\": a generated column is computed when a write leaves it out and checked when a write gives it.", Required = true };
        var partitionBy = new Option<string?>("--partition-by") { Description = "Partition columns, comma-separated." };
        var property = new Option<string[]>("--property") { Description = "A table property k=v (repeatable), e.g. delta.appendOnly=true.", AllowMultipleArgumentsPerToken = false };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("create", "Create an empty Delta table.") { path, schema, partitionBy, property, format };
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.CreateTableAsync(p.GetRequiredValue(path), new DeltaTableDefinition(p.GetRequiredValue(schema))
        {
            PartitionBy = SplitList(p.GetValue(partitionBy)),
            Properties = ParseProperties(p.GetValue(property)),
        }, ct), ct));
        return command;
    }

    private static Command WriteCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var from = new Option<string>("--from") { Description = "A .parquet, .csv or .json file, or a SELECT query.", Required = true };
        var mode = new Option<string>("--mode") { Description = "append (default) or overwrite.", DefaultValueFactory = _ => "append" };
        mode.AcceptOnlyFromAmong("append", "overwrite");
        var mergeSchema = new Option<bool>("--merge-schema") { Description = "Add columns the data has and the table does not." };
        var replaceWhere = new Option<string?>("--replace-where") { Description = "With --mode overwrite: replace only the rows matching this predicate." };
        var partitionBy = new Option<string?>("--partition-by") { Description = "Partition columns when the write creates the table." };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("write", "Append or overwrite rows of a Delta table (created if missing).") { path, from, mode, mergeSchema, replaceWhere, partitionBy, format };
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.WriteAsync(p.GetRequiredValue(path), DeltaWriter.SourceQuery(p.GetRequiredValue(from)), new DeltaWriteOptions
        {
            Mode = p.GetValue(mode) == "overwrite" ? DeltaWriteMode.Overwrite : DeltaWriteMode.Append,
            MergeSchema = p.GetValue(mergeSchema),
            ReplaceWhere = p.GetValue(replaceWhere),
            PartitionBy = SplitList(p.GetValue(partitionBy)),
        }, ct), ct));
        return command;
    }

    private static Command DeleteCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var where = new Option<string>("--where") { Description = "The rows to delete (SQL; the table is 'target').", Required = true };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("delete", "Delete rows of a Delta table.") { path, where, format };
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.DeleteAsync(p.GetRequiredValue(path), p.GetRequiredValue(where), ct), ct));
        return command;
    }

    private static Command UpdateCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var set = new Option<string>("--set") { Description = "Assignments, e.g. \"status = 'done', n = n + 1\".", Required = true };
        var where = new Option<string?>("--where") { Description = "The rows to update (all when omitted)." };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("update", "Update rows of a Delta table.") { path, set, where, format };
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.UpdateAsync(p.GetRequiredValue(path), p.GetRequiredValue(set), p.GetValue(where), ct), ct));
        return command;
    }

    private static Command MergeCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var source = new Option<string>("--source") { Description = "A .parquet, .csv or .json file, or a SELECT query.", Required = true };
        var on = new Option<string>("--on") { Description = "The match condition, e.g. \"target.id = source.id\".", Required = true };
        var matched = new Option<string?>("--when-matched") { Description = "update or delete matched target rows." };
        matched.AcceptOnlyFromAmong("update", "delete");
        var notMatched = new Option<string?>("--when-not-matched") { Description = "insert source rows without a match." };
        notMatched.AcceptOnlyFromAmong("insert");
        var notMatchedBySource = new Option<string?>("--when-not-matched-by-source") { Description = "delete target rows without a match." };
        notMatchedBySource.AcceptOnlyFromAmong("delete");
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("merge", "Merge a source into a Delta table.") { path, source, on, matched, notMatched, notMatchedBySource, format };
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.MergeAsync(p.GetRequiredValue(path), new DeltaMergeOptions(DeltaWriter.SourceQuery(p.GetRequiredValue(source)), p.GetRequiredValue(on))
        {
            WhenMatched = p.GetValue(matched) switch
            {
                "update" => DeltaMergeMatchedAction.Update,
                "delete" => DeltaMergeMatchedAction.Delete,
                _ => DeltaMergeMatchedAction.None,
            },
            WhenNotMatchedInsert = p.GetValue(notMatched) == "insert",
            WhenNotMatchedBySourceDelete = p.GetValue(notMatchedBySource) == "delete",
        }, ct), ct));
        return command;
    }

    private static Command OptimizeCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var zorder = new Option<string?>("--zorder-by") { Description = "Columns to sort the rewritten files by, comma-separated." };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("optimize", "Compact small files (bin-packing per partition).") { path, zorder, format };
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.OptimizeAsync(p.GetRequiredValue(path), SplitList(p.GetValue(zorder)), cancellationToken: ct), ct));
        return command;
    }

    private static Command VacuumCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var retain = new Option<string?>("--retain") { Description = "History to keep, e.g. 168h or 7d (default: the table's delta.deletedFileRetentionDuration)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List the files that would be deleted." };
        var force = new Option<bool>("--force") { Description = "Allow keeping less than the table's retention." };
        Option<OutputFormat> format = CommonOptions.Format();
        var project = new Option<string?>("--project", "-p")
        {
            Description = "The project whose environments' shallow clones may read the table's files, which are kept whatever their age. Default: the current folder if it holds medallion.yml, else the nearest folder above the table that does.",
            HelpName = "dir",
        };
        var command = new Command("vacuum", "Delete data files no longer referenced by the table (nor by a live shallow clone of it).") { path, retain, dryRun, force, format, project };
        command.SetAction(async (p, ct) =>
        {
            string table = p.GetRequiredValue(path);
            IReadOnlySet<string>? keep = await CloneKeysAsync(table, p.GetValue(project), ct).ConfigureAwait(false);
            return await RunAsync(output, p.GetValue(format), w => w.VacuumAsync(table, ParseDuration(p.GetValue(retain)), p.GetValue(dryRun), p.GetValue(force), keep, ct), ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// The keys of <paramref name="table"/>'s files that a live shallow clone of the project it belongs to reads
    /// (<see cref="CloneReferences"/>); null when the table belongs to no project with a catalog.
    /// </summary>
    private static async Task<IReadOnlySet<string>?> CloneKeysAsync(string table, string? projectDirectory, CancellationToken cancellationToken)
    {
        string? directory = projectDirectory is not null ? Path.GetFullPath(projectDirectory) : FindProject(table);
        if (directory is null)
        {
            return null;
        }

        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (await environment.FindCatalogAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        CloneReferences clones = await CloneReferences.FindAsync(environment, environment.Project.Maintenance.JanitorRetention, cancellationToken).ConfigureAwait(false);
        return clones.KeysUnder(StorageResolver.IsUri(table) ? table : Path.GetFullPath(table));
    }

    /// <summary>The current folder when it holds medallion.yml, else the nearest folder above a local table that does; null when none does.</summary>
    private static string? FindProject(string table)
    {
        if (File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "medallion.yml")))
        {
            return Directory.GetCurrentDirectory();
        }

        for (DirectoryInfo? folder = StorageResolver.IsUri(table) ? null : new DirectoryInfo(Path.GetFullPath(table)).Parent; folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "medallion.yml")))
            {
                return folder.FullName;
            }
        }

        return null;
    }

    private static Command RestoreCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var version = new Option<long?>("--version") { Description = "The version to restore." };
        var timestamp = new Option<string?>("--timestamp") { Description = "Restore the version current at this time (ISO 8601, UTC unless an offset is given)." };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("restore", "Restore a Delta table to an earlier version.") { path, version, timestamp, format };
        command.Validators.Add(r =>
        {
            if ((r.GetValue(version) is null) == (r.GetValue(timestamp) is null))
            {
                r.AddError("Give exactly one of --version and --timestamp.");
            }
        });
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.RestoreAsync(p.GetRequiredValue(path), p.GetValue(version),
            p.GetValue(timestamp) is { } t ? DateTimeOffset.Parse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null, ct), ct));
        return command;
    }

    private static Command CheckpointCommand(TextWriter output)
    {
        Argument<string> path = PathArgument();
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("checkpoint", "Write a checkpoint of the newest version.") { path, format };
        command.SetAction((p, ct) => RunAsync(output, p.GetValue(format), w => w.CheckpointAsync(p.GetRequiredValue(path), ct), ct));
        return command;
    }

    private static async Task<int> RunAsync(TextWriter output, OutputFormat format, Func<DeltaWriter, Task<DeltaOperationResult>> operation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using DuckDbConnection connection = DuckDbEngines.Default.OpenScratch();
        DeltaOperationResult result = await operation(new DeltaWriter(connection)).ConfigureAwait(false);
        await output.WriteLineAsync(format == OutputFormat.Json ? Json(result) : Text(result)).ConfigureAwait(false);
        return 0;
    }

    internal static string Text(DeltaOperationResult r)
    {
        var sb = new StringBuilder();
        string files = $"{r.FilesAdded} file(s) added, {r.FilesRemoved} file(s) removed, {r.RowsAffected} row(s) affected";
        switch (r.Operation)
        {
            case "VACUUM":
                bool dry = r.Metrics.TryGetValue("dryRun", out string? d) && d == "true";
                sb.Append(dry ? $"VACUUM (dry run) of {r.TablePath}: {r.Paths.Count} file(s) would be deleted." : $"VACUUM of {r.TablePath}: {r.Paths.Count} file(s) deleted.");
                if (r.Metrics.GetValueOrDefault("numFilesKeptForClones") is { } kept && kept != "0")
                {
                    sb.Append(CultureInfo.InvariantCulture, $" {kept} unreferenced file(s) kept: a shallow clone of the table still reads them.");
                }

                foreach (string p in r.Paths)
                {
                    sb.Append('\n').Append("  ").Append(p);
                }

                break;
            case "CHECKPOINT":
                sb.Append($"Checkpoint of version {r.CheckpointVersion} written for {r.TablePath} ({r.Metrics.GetValueOrDefault("numAddFiles")} live file(s)).");
                break;
            default:
                sb.Append(r.Committed
                    ? $"{r.Operation}: committed version {r.Version} of {r.TablePath}; {files}."
                    : $"{r.Operation}: nothing to commit; {r.TablePath} stays at version {r.Version}.");
                if (r.CheckpointVersion is long c)
                {
                    sb.Append($"\nCheckpoint written at version {c}.");
                }

                break;
        }

        foreach (string warning in r.Warnings)
        {
            sb.Append("\nWarning: ").Append(warning);
        }

        return sb.ToString();
    }

    internal static string Json(DeltaOperationResult r)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("operation", r.Operation);
            w.WriteString("table", r.TablePath);
            w.WriteNumber("version", r.Version);
            w.WriteBoolean("committed", r.Committed);
            w.WriteNumber("filesAdded", r.FilesAdded);
            w.WriteNumber("filesRemoved", r.FilesRemoved);
            w.WriteNumber("rowsAffected", r.RowsAffected);
            if (r.CheckpointVersion is long c)
            {
                w.WriteNumber("checkpointVersion", c);
            }

            w.WriteStartObject("metrics");
            foreach ((string k, string v) in r.Metrics)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
            w.WriteStartArray("paths");
            foreach (string p in r.Paths)
            {
                w.WriteStringValue(p);
            }

            w.WriteEndArray();
            w.WriteStartArray("warnings");
            foreach (string warning in r.Warnings)
            {
                w.WriteStringValue(warning);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] SplitList(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Dictionary<string, string> ParseProperties(string[]? pairs)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in pairs ?? [])
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"--property '{pair}' is not key=value. Help: write it like --property delta.appendOnly=true.");
            }

            properties[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }

        return properties;
    }

    private static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return DurationText.TryParse(text, out TimeSpan duration)
            ? duration
            : throw new MedallionException(ErrorCode.CommandLineInvalid, $"--retain '{text}' is not a duration. Help: write it like 168h or 7d.");
    }
}
