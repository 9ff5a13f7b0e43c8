using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Output;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Platform;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion delta ...</c>: the read commands (<c>inspect</c>, <c>read</c>, <c>history</c>, <c>changes</c>) on a
/// local Delta table directory, and the write commands of <see cref="DeltaWriteCommands"/> under the same parent.
/// </summary>
internal static class DeltaCommands
{
    private static readonly JsonWriterOptions s_json = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var delta = new Command("delta", "Read and write Delta Lake tables.")
        {
            Inspect(output),
            Read(output),
            History(output),
            Changes(output),
        };
        foreach (Command write in DeltaWriteCommands.Create(output))
        {
            delta.Add(write);
        }

        return delta;
    }

    private static Argument<string> PathArgument() => new("path") { Description = "The table directory (the folder holding _delta_log)." };

    private static Option<long?> VersionOption() => new("--version") { Description = "Read the table as of this version." };

    private static Option<string?> TimestampOption() => new("--timestamp")
    {
        Description = "Read the table as of this time: the newest version committed at or before it (ISO 8601; UTC unless an offset is given).",
    };

    private static Command Inspect(TextWriter output)
    {
        Argument<string> path = PathArgument();
        Option<long?> version = VersionOption();
        Option<string?> timestamp = TimestampOption();
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("inspect", "Show a table's version, protocol and features, schema, partition columns, files, records and size.")
        {
            path, version, timestamp, format,
        };
        AddTimeTravelValidator(command, version, timestamp);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using var session = TableSession.Open(parsed.GetValue(path)!);
            Snapshot snapshot = await session.GetSnapshotAsync(parsed.GetValue(version), ParseTimestamp(parsed.GetValue(timestamp)), cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(format) == OutputFormat.Json)
            {
                WriteInspectJson(snapshot, output);
            }
            else
            {
                WriteInspectText(snapshot, output);
            }

            return 0;
        });
        return command;
    }

    private static Command Read(TextWriter output)
    {
        Argument<string> path = PathArgument();
        Option<long?> version = VersionOption();
        Option<string?> timestamp = TimestampOption();
        var where = new Option<string?>("--where", "-w") { Description = "A SQL predicate on the table's columns, e.g. \"year = 2024 AND amount > 10\"." };
        var limit = new Option<long?>("--limit", "-n") { Description = "Print at most this many rows." };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("read", "Print a table's rows (time travel with --version or --timestamp).")
        {
            path, version, timestamp, where, limit, format,
        };
        AddTimeTravelValidator(command, version, timestamp);
        command.Validators.Add(result =>
        {
            if (result.GetValue(limit) is < 0)
            {
                result.AddError("--limit must be 0 or more.");
            }
        });
        command.SetAction(async (parsed, cancellationToken) =>
        {
            Stopwatch elapsed = Stopwatch.StartNew();
            await using var session = TableSession.Open(parsed.GetValue(path)!);
            Snapshot snapshot = await session.GetSnapshotAsync(parsed.GetValue(version), ParseTimestamp(parsed.GetValue(timestamp)), cancellationToken).ConfigureAwait(false);
            await using DuckDbDataReader reader = await session.ReadRowsAsync(snapshot, parsed.GetValue(where), parsed.GetValue(limit), cancellationToken).ConfigureAwait(false);
            ResultWriter.Write(reader, parsed.GetValue(format), output, elapsed);
            return 0;
        });
        return command;
    }

    private static Command History(TextWriter output)
    {
        Argument<string> path = PathArgument();
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("history", "List the table's commits, newest first: version, timestamp, operation, parameters and metrics.") { path, format };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using var session = TableSession.Open(parsed.GetValue(path)!);
            IReadOnlyList<CommitEntry> entries = await session.GetHistoryAsync(cancellationToken).ConfigureAwait(false);

            OutputFormat chosen = parsed.GetValue(format);
            if (chosen == OutputFormat.Json)
            {
                WriteHistoryJson(entries, output);
                return 0;
            }

            using var table = new DataTable { Locale = CultureInfo.InvariantCulture };
            foreach (string column in (string[])["version", "timestamp", "operation", "parameters", "metrics"])
            {
                table.Columns.Add(column, typeof(string));
            }

            foreach (CommitEntry entry in entries)
            {
                table.Rows.Add(
                    entry.Version.ToString(CultureInfo.InvariantCulture),
                    FormatTimestamp(entry.Timestamp),
                    entry.CommitInfo?.Operation ?? string.Empty,
                    CompactJson(entry, "operationParameters"),
                    CompactJson(entry, "operationMetrics"));
            }

            using DataTableReader reader = table.CreateDataReader();
            ResultWriter.Write(reader, chosen, output);
            return 0;
        });
        return command;
    }

    private static Command Changes(TextWriter output)
    {
        Argument<string> path = PathArgument();
        var from = new Option<long>("--from") { Description = "The first version whose changes to include.", Required = true };
        var to = new Option<long?>("--to") { Description = "The last version whose changes to include (default: the newest)." };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("changes", "Print the change data feed between two versions, with _change_type, _commit_version and _commit_timestamp.")
        {
            path, from, to, format,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            Stopwatch elapsed = Stopwatch.StartNew();
            await using var session = TableSession.Open(parsed.GetValue(path)!);
            await using DuckDbDataReader reader = await session.ReadChangesAsync(parsed.GetValue(from), parsed.GetValue(to), cancellationToken).ConfigureAwait(false);
            ResultWriter.Write(reader, parsed.GetValue(format), output, elapsed);
            return 0;
        });
        return command;
    }

    /// <summary>The --timestamp option as a time: ISO 8601, UTC unless it gives an offset; null when not given.</summary>
    private static DateTimeOffset? ParseTimestamp(string? timestamp)
    {
        if (timestamp is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out DateTimeOffset when)
            ? when
            : throw new MedallionException(ErrorCode.CommandLineInvalid, $"'{timestamp}' is not a timestamp.\nHelp: use ISO 8601, e.g. 2024-05-01T12:00:00Z or 2024-05-01.");
    }

    private static void AddTimeTravelValidator(Command command, Option<long?> version, Option<string?> timestamp) =>
        command.Validators.Add(result =>
        {
            if (result.GetValue(version) is not null && result.GetValue(timestamp) is not null)
            {
                result.AddError("Use either --version or --timestamp, not both.");
            }
        });

    private static void WriteInspectText(Snapshot snapshot, TextWriter output)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        var lines = new List<(string Key, string Value)>
        {
            ("Table", snapshot.TableLocation),
            ("Version", snapshot.Version.ToString(inv)),
            ("Timestamp", FormatTimestamp(snapshot.Timestamp)),
            ("Reader version", snapshot.Protocol.MinReaderVersion.ToString(inv)),
            ("Writer version", snapshot.Protocol.MinWriterVersion.ToString(inv)),
            ("Reader features", snapshot.Protocol.ReaderFeatures is { Count: > 0 } r ? string.Join(", ", r) : "(none)"),
            ("Writer features", snapshot.Protocol.WriterFeatures is { Count: > 0 } w ? string.Join(", ", w) : "(none)"),
            ("Column mapping", snapshot.ColumnMappingMode.ToString().ToLowerInvariant()),
            ("Partition columns", snapshot.PartitionColumns.Count > 0 ? string.Join(", ", snapshot.PartitionColumns) : "(none)"),
            ("Files", snapshot.Files.Count.ToString("N0", inv)),
            ("Records", snapshot.RecordCount is long records ? records.ToString("N0", inv) : "unknown (some files have no row count statistics)"),
            ("Size", snapshot.SizeBytes.ToString("N0", inv) + " bytes"),
        };
        foreach ((string key, string? value) in snapshot.Metadata.Configuration.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            lines.Add(("Property " + key, value ?? "null"));
        }

        int width = lines.Max(l => l.Key.Length);
        foreach ((string key, string value) in lines)
        {
            output.WriteLine(key.PadRight(width) + "  " + value);
        }

        output.WriteLine("Schema:");
        int nameWidth = snapshot.Schema.Fields.Count == 0 ? 0 : snapshot.Schema.Fields.Max(f => f.Name.Length);
        foreach (Delta.Schema.StructField field in snapshot.Schema.Fields)
        {
            output.WriteLine("  " + field.Name.PadRight(nameWidth) + "  " + field.Type + (field.Nullable ? string.Empty : " NOT NULL"));
        }
    }

    private static void WriteInspectJson(Snapshot snapshot, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_json))
        {
            json.WriteStartObject();
            json.WriteString("path", snapshot.TableLocation);
            json.WriteNumber("version", snapshot.Version);
            json.WriteString("timestamp", FormatTimestamp(snapshot.Timestamp));
            json.WriteStartObject("protocol");
            json.WriteNumber("minReaderVersion", snapshot.Protocol.MinReaderVersion);
            json.WriteNumber("minWriterVersion", snapshot.Protocol.MinWriterVersion);
            WriteStrings(json, "readerFeatures", snapshot.Protocol.ReaderFeatures ?? []);
            WriteStrings(json, "writerFeatures", snapshot.Protocol.WriterFeatures ?? []);
            json.WriteEndObject();
            json.WriteString("columnMapping", snapshot.ColumnMappingMode.ToString().ToLowerInvariant());
            json.WriteStartArray("schema");
            foreach (Delta.Schema.StructField field in snapshot.Schema.Fields)
            {
                json.WriteStartObject();
                json.WriteString("name", field.Name);
                json.WriteString("type", field.Type.ToString());
                json.WriteBoolean("nullable", field.Nullable);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteStrings(json, "partitionColumns", snapshot.PartitionColumns);
            json.WriteNumber("numFiles", snapshot.Files.Count);
            if (snapshot.RecordCount is long records)
            {
                json.WriteNumber("numRecords", records);
            }
            else
            {
                json.WriteNull("numRecords");
            }

            json.WriteNumber("sizeBytes", snapshot.SizeBytes);
            json.WriteStartObject("properties");
            foreach ((string key, string? value) in snapshot.Metadata.Configuration.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static void WriteHistoryJson(IReadOnlyList<CommitEntry> entries, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_json))
        {
            json.WriteStartArray();
            foreach (CommitEntry entry in entries)
            {
                json.WriteStartObject();
                json.WriteNumber("version", entry.Version);
                json.WriteString("timestamp", FormatTimestamp(entry.Timestamp));
                json.WriteString("operation", entry.CommitInfo?.Operation);
                WriteObject(json, "parameters", entry, "operationParameters");
                WriteObject(json, "metrics", entry, "operationMetrics");
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteObject(Utf8JsonWriter json, string name, CommitEntry entry, string field)
    {
        json.WritePropertyName(name);
        if (entry.CommitInfo?.Raw is { ValueKind: JsonValueKind.Object } raw && raw.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.Object)
        {
            value.WriteTo(json);
        }
        else
        {
            json.WriteStartObject();
            json.WriteEndObject();
        }
    }

    private static string CompactJson(CommitEntry entry, string field) =>
        entry.CommitInfo?.Raw is { ValueKind: JsonValueKind.Object } raw && raw.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.Object
            ? JsonSerializer.Serialize(value, JsonContext.Compact)
            : string.Empty;

    private static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static class JsonContext
    {
        public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    }
}
