using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Sources;

public static partial class FileSourceLoader
{
    /// <summary>Above this many line-number breakpoints in one file the CASE expression gets too large; the file's good rows then get no line.</summary>
    private const int MaxLineBreakpoints = 20_000;

    /// <summary>
    /// CSV in two DuckDB passes per file with the same options, so the sniffer decides the same both times: the first
    /// collects rejects (<c>store_rejects</c>) and the dialect; a walk of the file turns those into real line numbers;
    /// the second streams the good rows, numbered in file order, into the write, followed by the rejects.
    /// </summary>
    private static async Task<StagedLoad> StageCsvAsync(LoadContext context, List<SourceFile> files, CancellationToken cancellationToken)
    {
        var described = new List<(SourceFile File, List<FileColumn> Columns)>();
        var lineExpressions = new List<string>();
        string rejectTable = context.TempTable("rejected");
        await context.ExecuteAsync($"CREATE TEMP TABLE {DuckDbConnection.QuoteIdentifier(rejectTable)} (file VARCHAR, line BIGINT, raw VARCHAR, error VARCHAR)", cancellationToken).ConfigureAwait(false);
        long rejected = 0;
        var fileTypes = new List<(string Name, string Type)[]>();
        foreach (SourceFile file in files)
        {
            string errorsTable = context.TempTable("errors"), scansTable = context.TempTable("scans");
            List<FileColumn> columns;
            long duckRows;
            string reader = RejectingCsvReader(context, file, errorsTable, scansTable, []);
            try
            {
                columns = await SourceColumns.DescribeAsync(context.Connection, "SELECT * FROM " + reader, cancellationToken).ConfigureAwait(false);
                // A column the table has typed but the sniffer read as text (one value that is not a date) is read with the
                // table's type, so that value's row is rejected and kept with _raw_line and _parse_error, not the whole file;
                // so is a new column whose values are all but a few of one type.
                (string Name, string Type)[] types = CanRetype(context)
                    ? [
                        .. SourceColumns.Misfits(columns, context.Snapshot),
                        .. await SourceColumns.MostlyOfOneTypeAsync(context.Connection, SnifferSample(context, file), columns, context.Snapshot, cancellationToken).ConfigureAwait(false),
                    ]
                    : [];
                fileTypes.Add(types);
                if (types.Length > 0)
                {
                    (errorsTable, scansTable) = (context.TempTable("errors"), context.TempTable("scans"));
                    reader = RejectingCsvReader(context, file, errorsTable, scansTable, types);
                    columns = await SourceColumns.DescribeAsync(context.Connection, "SELECT * FROM " + reader, cancellationToken).ConfigureAwait(false);
                }

                duckRows = await ScalarLongAsync(context.Connection, $"SELECT count(*), count(COLUMNS(*)) FROM {reader}", cancellationToken).ConfigureAwait(false);
            }
            catch (DuckDbException e)
            {
                throw ReadFailed(file, context.Source, e);
            }

            described.Add((file, columns));
            CsvDialect dialect = await ReadDialectAsync(context.Connection, scansTable, cancellationToken).ConfigureAwait(false);
            List<CsvReject> rejects = await ReadRejectsAsync(context.Connection, errorsTable, cancellationToken).ConfigureAwait(false);
            var starts = new List<long>(rejects.Count);
            foreach (CsvReject r in rejects)
            {
                starts.Add(r.Start);
            }

            CsvScan scan = await CsvRecordScanner.ScanAsync(file.Absolute, dialect, starts, cancellationToken).ConfigureAwait(false);
            file.Sha256 = scan.Sha256;
            lineExpressions.Add(LineExpression(context, file, scan, duckRows));
            if (rejects.Count > 0)
            {
                rejected += rejects.Count;
                using (DuckDbAppender appender = context.Connection.CreateAppender(rejectTable))
                {
                    foreach (CsvReject r in rejects)
                    {
                        appender.AppendRow(file.Relative, scan.RejectLines.TryGetValue(r.Start, out long line) ? line : r.DuckDbLine, r.Raw, r.Error);
                    }
                }

                CsvReject first = rejects[0];
                long firstLine = scan.RejectLines.TryGetValue(first.Start, out long l) ? l : first.DuckDbLine;
                context.Warnings.Add(
                    $"Source '{context.Source.Name}': {rejects.Count} row(s) of '{file.Relative}' could not be parsed (first at line {firstLine}: {first.Error}); they are kept in {context.Source.Target} with _raw_line and _parse_error.");
            }
        }

        List<FileColumn> unified = SourceColumns.Unify(described, context.Snapshot, context.Source);
        var branches = new List<string>();
        for (int i = 0; i < described.Count; i++)
        {
            (SourceFile file, List<FileColumn> columns) = described[i];
            string reader = RejectingCsvReader(context, file, context.TempTable("errors"), context.TempTable("scans"), fileTypes[i]);
            branches.Add(
                $"SELECT {SourceColumns.Project(unified, columns, "__r")}{context.MetaColumns(DuckDbConnection.QuoteLiteral(file.Relative), lineExpressions[i], "NULL", "NULL")} "
                + $"FROM (SELECT row_number() OVER () AS __rn, * FROM {reader}) AS __r");
        }

        branches.Add($"SELECT {SourceColumns.Project(unified, [], "__x")}{context.MetaColumns("file", "line", "raw", "error")} FROM {DuckDbConnection.QuoteIdentifier(rejectTable)}");
        return new StagedLoad(string.Join("\nUNION ALL\n", branches), rejected);
    }

    /// <summary>The file's reader, keeping rejects; <paramref name="types"/> fixes the types of some columns (none: all sniffed).</summary>
    private static string RejectingCsvReader(LoadContext context, SourceFile file, string errorsTable, string scansTable, (string Name, string Type)[] types) =>
        ReaderCall("read_csv", file.Absolute, context.Source.Options,
        [
            ("store_rejects", "true"),
            ("rejects_table", DuckDbConnection.QuoteLiteral(errorsTable)),
            ("rejects_scan", DuckDbConnection.QuoteLiteral(scansTable)),
            .. types.Length == 0 ? [] : new[] { ("types", "{" + string.Join(", ", types.Select(t => $"{DuckDbConnection.QuoteLiteral(t.Name)}: {DuckDbConnection.QuoteLiteral(t.Type)}")) + "}") },
        ]);

    /// <summary>
    /// The rows of <paramref name="file"/> DuckDB's sniffer types its columns from (its default <c>sample_size</c>, unless
    /// the source sets one), read with the sniffed types; rows it cannot read are left out.
    /// </summary>
    private static string SnifferSample(LoadContext context, SourceFile file)
    {
        string rows = context.Source.Options.FirstOrDefault(o => o.Key.Equals("sample_size", StringComparison.OrdinalIgnoreCase)).Value ?? "20480";
        long limit = long.TryParse(rows, NumberStyles.Integer, CultureInfo.InvariantCulture, out long size) && size > 0 ? size : long.MaxValue;
        return $"SELECT * FROM {RejectingCsvReader(context, file, context.TempTable("errors"), context.TempTable("scans"), [])} LIMIT {limit.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Whether the loader may fix column types: not when the source's options already say how columns are typed.</summary>
    private static bool CanRetype(LoadContext context) =>
        !context.Source.Options.Keys.Any(k => k.ToLowerInvariant() is "types" or "dtypes" or "column_types" or "columns" or "all_varchar" or "auto_detect");

    /// <summary>
    /// <c>_source_line</c> of the good rows: <c>__rn + offset</c>, the offset chosen by a balanced CASE over the breakpoints.
    /// Null (with a warning) when the file walk and DuckDB disagree on the row count: a wrong line is worse than none.
    /// </summary>
    private static string LineExpression(LoadContext context, SourceFile file, CsvScan scan, long duckRows)
    {
        if (scan.GoodRows != duckRows || scan.Breakpoints.Count > MaxLineBreakpoints)
        {
            context.Warnings.Add(
                $"Source '{context.Source.Name}': the rows of '{file.Relative}' could not be matched to their lines (DuckDB read {duckRows} rows, the file has {scan.GoodRows} records that were not rejected, {scan.Breakpoints.Count} irregularities); their _source_line is null.");
            return "NULL";
        }

        return scan.Breakpoints.Count == 0 ? "NULL" : Build(0, scan.Breakpoints.Count - 1);

        string Build(int lo, int hi)
        {
            if (lo == hi)
            {
                return "(__r.__rn + " + scan.Breakpoints[lo].Offset.ToString(CultureInfo.InvariantCulture) + ")";
            }

            int mid = (lo + hi + 1) / 2;
            return $"CASE WHEN __r.__rn < {scan.Breakpoints[mid].Rn.ToString(CultureInfo.InvariantCulture)} THEN {Build(lo, mid - 1)} ELSE {Build(mid, hi)} END";
        }
    }

    private static async Task<CsvDialect> ReadDialectAsync(DuckDbConnection connection, string scansTable, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT quote, escape, skip_rows, has_header FROM {DuckDbConnection.QuoteIdentifier(scansTable)} LIMIT 1";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return new CsvDialect('"', '"', 0, true);
            }

            return new CsvDialect(
                DialectByte(reader.IsDBNull(0) ? null : reader.GetString(0)),
                DialectByte(reader.IsDBNull(1) ? null : reader.GetString(1)),
                reader.IsDBNull(2) ? 0 : (int)Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture),
                !reader.IsDBNull(3) && reader.GetBoolean(3));
        }
    }

    private static int DialectByte(string? value) =>
        string.IsNullOrEmpty(value) || value is "(empty)" || value.Length != 1 || value[0] > 0x7F ? -1 : value[0];

    private static async Task<List<CsvReject>> ReadRejectsAsync(DuckDbConnection connection, string errorsTable, CancellationToken cancellationToken)
    {
        var rejects = new List<CsvReject>();
        using DuckDbCommand command = connection.CreateCommand();
        // One record can fail on several columns: DuckDB reports each, the bronze row carries them together.
        command.CommandText =
            $"SELECT line_byte_position, min(line), any_value(csv_line), string_agg(error_type || ': ' || error_message, '; ' ORDER BY column_idx) "
            + $"FROM {DuckDbConnection.QuoteIdentifier(errorsTable)} GROUP BY line_byte_position ORDER BY line_byte_position";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // line_byte_position is the record's start offset plus one (checked against files in the tests).
                long start = reader.IsDBNull(0) ? -1 : Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture) - 1;
                long line = reader.IsDBNull(1) ? 0 : Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
                rejects.Add(new CsvReject(start, line, reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? "unparseable row" : reader.GetString(3)));
            }
        }

        return rejects;
    }

    /// <summary>The first column of the first row, reading the result to its end.</summary>
    /// <remarks>A result closed before its end rolls back the statement, and with it the rejects tables the scan created.</remarks>
    private static async Task<long> ScalarLongAsync(DuckDbConnection connection, string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        long? value = null;
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                value ??= reader.IsDBNull(0) ? 0 : Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
            }
        }

        return value ?? 0;
    }

    /// <summary>One rejected CSV record: its start offset, DuckDB's own line count for it, its text and every error on it.</summary>
    private sealed record CsvReject(long Start, long DuckDbLine, string? Raw, string Error);
}
