using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Sources;

public static partial class FileSourceLoader
{
    /// <summary>
    /// JSON lines: each file is read here line by line (real line numbers, the raw text, the hash in the same pass) into
    /// a temp table, DuckDB's JSON sniffer infers the columns over every line, and each line is then parsed in SQL. A line
    /// that is not valid JSON, not an object, or has a value that does not convert to its column's type becomes a reject:
    /// typed columns null, the line in <c>_raw_line</c>, the reason in <c>_parse_error</c>.
    /// </summary>
    private static async Task<StagedLoad> StageJsonLinesAsync(LoadContext context, List<SourceFile> files, CancellationToken cancellationToken)
    {
        string linesTable = context.TempTable("lines");
        string lines = DuckDbConnection.QuoteIdentifier(linesTable);
        await context.ExecuteAsync($"CREATE TEMP TABLE {lines} (file VARCHAR, line BIGINT, text VARCHAR)", cancellationToken).ConfigureAwait(false);
        var described = new List<(SourceFile File, List<FileColumn> Columns)>();
        foreach (SourceFile file in files)
        {
            await AppendLinesAsync(context.Connection, linesTable, file, cancellationToken).ConfigureAwait(false);
            string reader = ReaderCall("read_json", file.Absolute, context.Source.Options,
                ("format", "'newline_delimited'"), ("ignore_errors", "true"), ("sample_size", "-1"));
            List<FileColumn> columns;
            try
            {
                columns = await SourceColumns.DescribeAsync(context.Connection, "SELECT * FROM " + reader, cancellationToken).ConfigureAwait(false);
            }
            catch (DuckDbException e) when (!e.Message.Contains("Interrupted", StringComparison.OrdinalIgnoreCase))
            {
                // A file with no valid object at all has nothing to sniff; its lines all become rejects.
                columns = [];
            }

            described.Add((file, columns));
        }

        List<FileColumn> unified = SourceColumns.Unify(described, context.Snapshot, context.Source);
        var parsed = new StringBuilder("SELECT file, line, text, ");
        var checks = new List<string>();
        for (int i = 0; i < unified.Count; i++)
        {
            FileColumn c = unified[i];
            string path = DuckDbConnection.QuoteLiteral("$.\"" + c.Name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
            bool nested = c.Type.Contains('(', StringComparison.Ordinal) && !c.Type.StartsWith("DECIMAL", StringComparison.OrdinalIgnoreCase) || c.Type.EndsWith(']');
            string typed = nested ? $"TRY_CAST(json_extract(j, {path}) AS {c.Type})" : $"TRY_CAST(json_extract_string(j, {path}) AS {c.Type})";
            parsed.Append($"json_extract_string(j, {path}) AS __raw{i}, {typed} AS __val{i}, ");
            checks.Add($"CASE WHEN __raw{i} IS NOT NULL AND __val{i} IS NULL THEN {DuckDbConnection.QuoteLiteral("column '" + c.Name + "': '")} || left(__raw{i}, 200) || {DuckDbConnection.QuoteLiteral("' is not a " + c.Type)} END");
        }

        parsed.Append($"CASE WHEN j IS NULL THEN 'malformed JSON: the line does not parse' WHEN json_type(j) <> 'OBJECT' THEN 'not a JSON object: the line holds a ' || lower(json_type(j)) ");
        parsed.Append(checks.Count == 0 ? "ELSE NULL END" : $"ELSE NULLIF(concat_ws('; ', {string.Join(", ", checks)}), '') END");
        parsed.Append($" AS __error FROM (SELECT file, line, text, CASE WHEN json_valid(text) THEN CAST(text AS JSON) END AS j FROM {lines})");

        string staged = DuckDbConnection.QuoteIdentifier(context.TempTable("parsed"));
        await context.ExecuteAsync($"CREATE TEMP TABLE {staged} AS {parsed}", cancellationToken).ConfigureAwait(false);

        var select = new StringBuilder("SELECT ");
        for (int i = 0; i < unified.Count; i++)
        {
            select.Append($"CASE WHEN __error IS NULL THEN __val{i} END AS {DuckDbConnection.QuoteIdentifier(unified[i].Name)}, ");
        }

        select.Append(context.MetaColumns("file", "line", "CASE WHEN __error IS NOT NULL THEN text END", "__error")).Append(" FROM ").Append(staged);
        long rejected = await context.WarnRejectedAsync(staged, "file", "NULL", "line", "__error",
            r => $"{r.Count} line(s) of '{r.File}' could not be parsed (first at line {r.FirstPosition}: {r.FirstError})", cancellationToken).ConfigureAwait(false);
        return new StagedLoad(select.ToString(), rejected);
    }

    /// <summary>Appends the file's non-blank lines with their 1-based numbers; the hash covers every byte.</summary>
    private static async Task AppendLinesAsync(DuckDbConnection connection, string table, SourceFile file, CancellationToken cancellationToken)
    {
        using var sha = SHA256.Create();
        try
        {
            var stream = new FileStream(file.Absolute, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                var hashing = new CryptoStream(stream, sha, CryptoStreamMode.Read, leaveOpen: true);
                await using (hashing.ConfigureAwait(false))
                {
                    using var text = new StreamReader(hashing, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
                    using DuckDbAppender appender = connection.CreateAppender(table);
                    long number = 0;
                    while (await text.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                    {
                        number++;
                        if (!string.IsNullOrWhiteSpace(line))
                        {
                            appender.AppendRow(file.Relative, number, line);
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(file.Absolute, e);
        }

        file.Sha256 = Convert.ToHexStringLower(sha.Hash!);
    }
}
