using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Debezium;

namespace Medallion.Pipelines.Sources;

public static partial class FileSourceLoader
{
    /// <summary>Types of the change columns, as PostgreSQL CDC lands them in Delta (its UBIGINTs become DECIMAL(38,0)).</summary>
    private static readonly Dictionary<string, string> s_changeColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["_op"] = "VARCHAR",
        ["_lsn"] = "DECIMAL(38,0)",
        ["_seq"] = "BIGINT",
        ["_commit_ts"] = "TIMESTAMPTZ",
        ["_txid"] = "DECIMAL(38,0)",
    };

    /// <summary>
    /// Debezium events, one per line: each line is read into the CDC bronze row (see <see cref="DebeziumChange"/>)
    /// and written to a scratch JSON-lines file with its file and line, from which DuckDB infers the row columns. A
    /// line that is not JSON or not a valid event is kept as a reject with the problem in <c>_parse_error</c>;
    /// tombstones (a null payload) are skipped. <c>_seq</c> is the event's line number when it has no transaction order.
    /// </summary>
    private static async Task<StagedLoad> StageDebeziumAsync(LoadContext context, List<SourceFile> files, CancellationToken cancellationToken)
    {
        string linesTable = context.TempTable("lines");
        string lines = DuckDbConnection.QuoteIdentifier(linesTable);
        await context.ExecuteAsync($"CREATE TEMP TABLE {lines} (file VARCHAR, line BIGINT, text VARCHAR)", cancellationToken).ConfigureAwait(false);
        foreach (SourceFile file in files)
        {
            await AppendLinesAsync(context.Connection, linesTable, file, cancellationToken).ConfigureAwait(false);
        }

        string scratch = Path.Combine(Path.GetTempPath(), $"medallion-debezium-{Guid.NewGuid():N}.jsonl");
        try
        {
            (long written, long rejected) = await WriteChangesAsync(context, lines, scratch, cancellationToken).ConfigureAwait(false);
            if (written + rejected == 0)
            {
                throw new MedallionException(ErrorCode.SourceFileUnreadable,
                    $"Source '{context.Source.Name}': the new files ({string.Join(", ", files.Select(f => f.Relative))}) hold no change events (only tombstones or blank lines).\nHelp: nothing was loaded; remove the files from the source's path or add events to them.");
            }

            string reader = $"read_json({DuckDbConnection.QuoteLiteral(scratch)}, format = 'newline_delimited', sample_size = -1, maximum_object_size = 268435456)";
            List<FileColumn> described = await SourceColumns.DescribeAsync(context.Connection, "SELECT * FROM " + reader, cancellationToken).ConfigureAwait(false);
            bool hasErrors = described.Any(c => c.Name == "__error");
            List<FileColumn> data = described
                .Where(c => !c.Name.StartsWith("__", StringComparison.Ordinal))
                .Select(c => s_changeColumns.TryGetValue(c.Name, out string? type) ? c with { Type = type } : c)
                .ToList();
            List<FileColumn> unified = SourceColumns.Unify([(files[0], data)], context.Snapshot, context.Source);
            string staged = DuckDbConnection.QuoteIdentifier(context.TempTable("changes"));
            var select = new StringBuilder("SELECT ");
            foreach (FileColumn c in unified)
            {
                string name = DuckDbConnection.QuoteIdentifier(c.Name);
                select.Append(hasErrors ? $"CASE WHEN __error IS NULL THEN CAST({name} AS {c.Type}) END" : $"CAST({name} AS {c.Type})").Append(" AS ").Append(name).Append(", ");
            }

            select.Append(context.MetaColumns("__file", "__line", hasErrors ? "__raw" : "NULL", hasErrors ? "__error" : "NULL"));
            // Materialized now: the scratch file is deleted before the writer reads the rows.
            await context.ExecuteAsync($"CREATE TEMP TABLE {staged} AS {select} FROM {reader}", cancellationToken).ConfigureAwait(false);
            return new StagedLoad($"SELECT * FROM {staged}", rejected);
        }
        catch (DuckDbException e)
        {
            throw new MedallionException(ErrorCode.SourceFileUnreadable,
                $"Source '{context.Source.Name}' (debezium) cannot read the changes of {string.Join(", ", files.Select(f => f.Relative))}: {e.Message}\nHelp: nothing was loaded; check that the events of one table agree on each column's type.", e);
        }
        finally
        {
            File.Delete(scratch);
        }
    }

    /// <summary>Writes each line's bronze row (or its reject) to the scratch file; returns the rows and rejects written.</summary>
    private static async Task<(long Written, long Rejected)> WriteChangesAsync(LoadContext context, string lines, string scratch, CancellationToken cancellationToken)
    {
        long written = 0, rejected = 0;
        var firstReject = new Dictionary<string, (long Line, string Problem, long Count)>(StringComparer.Ordinal);
        var stream = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            var options = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            using var writer = new Utf8JsonWriter(stream, options);
            using DuckDbCommand command = context.Connection.CreateCommand();
            command.CommandText = $"SELECT file, line, text FROM {lines} ORDER BY file, line";
            DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    string file = reader.GetString(0);
                    long line = reader.GetInt64(1);
                    string text = reader.GetString(2);
                    string? problem = WriteChange(writer, file, line, text);
                    if (problem is null)
                    {
                        continue;
                    }

                    if (problem.Length > 0)
                    {
                        rejected++;
                        writer.WriteStartObject();
                        writer.WriteString("__file", file);
                        writer.WriteNumber("__line", line);
                        writer.WriteString("__raw", text);
                        writer.WriteString("__error", problem);
                        writer.WriteEndObject();
                        firstReject[file] = firstReject.TryGetValue(file, out var seen) ? seen with { Count = seen.Count + 1 } : (line, problem, 1);
                    }
                    else
                    {
                        written++;
                    }

                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                    writer.Reset(stream);
                }
            }
        }

        foreach ((string file, (long line, string problem, long count)) in firstReject)
        {
            context.Warnings.Add(
                $"Source '{context.Source.Name}': {count} line(s) of '{file}' are not valid Debezium events (first at line {line}: {problem}); they are kept in {context.Source.Target} with _raw_line and _parse_error.");
        }

        return (written, rejected);
    }

    /// <summary>Writes the line's bronze row; returns "" when written, the problem when the line is a reject, null for a tombstone.</summary>
    private static string? WriteChange(Utf8JsonWriter writer, string file, long line, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return $"malformed JSON at byte {e.BytePositionInLine + 1}";
        }

        using (document)
        {
            if (!DebeziumChange.TryRead(document.RootElement, out DebeziumChange? change, out string? problem))
            {
                return problem!;
            }

            if (change is null)
            {
                return null;
            }

            // The row goes through a buffer so that the file and line can lead it in the scratch file.
            using var buffer = new MemoryStream();
            using (var row = new Utf8JsonWriter(buffer))
            {
                change.WriteBronzeRow(row, line);
            }

            using JsonDocument parsed = JsonDocument.Parse(buffer.ToArray());
            writer.WriteStartObject();
            writer.WriteString("__file", file);
            writer.WriteNumber("__line", line);
            foreach (JsonProperty property in parsed.RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }

            writer.WriteEndObject();
            return string.Empty;
        }
    }
}
