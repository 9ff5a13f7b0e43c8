using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Sources;

public static partial class FileSourceLoader
{
    /// <summary>
    /// Spreadsheets (xlsx, xls): each file's sheet is walked once, row by row, into a temp table of cell texts while the
    /// kinds of each column's cells are counted. A column takes the type most of its non-empty cells share (integers
    /// BIGINT, any fraction DOUBLE, dates DATE, any time of day TIMESTAMP, booleans BOOLEAN); with no majority it is
    /// text, which any cell is. A cell that does not convert to its column's type makes its row a reject: typed columns
    /// null, the row's cells as a CSV line in <c>_raw_line</c>, the reason in <c>_parse_error</c>. Rows whose cells are
    /// all empty are skipped; <c>_source_row</c> is the sheet's own row number.
    /// </summary>
    private static async Task<StagedLoad> StageSpreadsheetAsync(LoadContext context, List<SourceFile> files, CancellationToken cancellationToken)
    {
        SpreadsheetOptions options = SpreadsheetOptions.From(context.Source.Options);
        var described = new List<(SourceFile File, List<FileColumn> Columns)>();
        var sheets = new List<SheetCells>();
        foreach (SourceFile file in files)
        {
            file.Sha256 = await HashAsync(file.Absolute, cancellationToken).ConfigureAwait(false);
            SheetCells cells = await CopySheetAsync(context, file, options, cancellationToken).ConfigureAwait(false);
            sheets.Add(cells);
            described.Add((file, cells.Columns));
        }

        List<FileColumn> unified = SourceColumns.Unify(described, context.Snapshot, context.Source);
        var branches = new List<string>();
        foreach (SheetCells sheet in sheets)
        {
            branches.Add(SheetBranch(context, sheet, unified));
        }

        string parsed = DuckDbConnection.QuoteIdentifier(context.TempTable("parsed"));
        await context.ExecuteAsync($"CREATE TEMP TABLE {parsed} AS {string.Join("\nUNION ALL\n", branches)}", cancellationToken).ConfigureAwait(false);

        long rejected = await context.WarnRejectedAsync(parsed, "_source_file", "_sheet", "_source_row", "_parse_error",
            r => $"{r.Count} row(s) of sheet '{r.Part}' of '{r.File}' could not be read (first at row {r.FirstPosition}: {r.FirstError})", cancellationToken).ConfigureAwait(false);
        return new StagedLoad($"SELECT * FROM {parsed}", rejected);
    }

    /// <summary>Copies the chosen sheet's rows below the header into a temp table of texts (<c>__row</c>, <c>c0</c>..), naming and typing its columns.</summary>
    private static async Task<SheetCells> CopySheetAsync(LoadContext context, SourceFile file, SpreadsheetOptions options, CancellationToken cancellationToken)
    {
        using SheetReader sheet = SheetReader.Open(file, context.Source, options.Sheet);
        string table = context.TempTable("cells");
        var create = new StringBuilder($"CREATE TEMP TABLE {DuckDbConnection.QuoteIdentifier(table)} (__row BIGINT");
        for (int i = 0; i < sheet.ColumnCount; i++)
        {
            create.Append(", c").Append(i.ToString(CultureInfo.InvariantCulture)).Append(" VARCHAR");
        }

        await context.ExecuteAsync(create.Append(')').ToString(), cancellationToken).ConfigureAwait(false);
        var header = new string?[sheet.ColumnCount];
        var counts = new long[sheet.ColumnCount, (int)CellKind.Text + 1];
        var values = new object?[sheet.ColumnCount + 1];
        bool headerSeen = options.HeaderRow == 0;
        using (DuckDbAppender appender = context.Connection.CreateAppender(table))
        {
            while (sheet.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (sheet.Row < options.HeaderRow)
                {
                    continue;
                }

                if (sheet.Row == options.HeaderRow)
                {
                    for (int i = 0; i < header.Length; i++)
                    {
                        header[i] = SheetReader.Render(sheet.Cells[i]).Text?.Trim();
                    }

                    headerSeen = true;
                    continue;
                }

                bool any = false;
                values[0] = sheet.Row;
                for (int i = 0; i < sheet.ColumnCount; i++)
                {
                    (CellKind kind, string? text) = SheetReader.Render(sheet.Cells[i]);
                    counts[i, (int)kind]++;
                    values[i + 1] = text;
                    any |= text is not null;
                }

                if (any)
                {
                    appender.AppendRow(values);
                }
            }
        }

        if (!headerSeen)
        {
            context.Warnings.Add(
                $"Source '{context.Source.Name}': sheet '{sheet.SheetName}' of '{file.Relative}' ends before its header row {options.HeaderRow}; no rows were loaded from it.");
        }

        var columns = new List<FileColumn>();
        var positions = new List<int>();
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < sheet.ColumnCount; i++)
        {
            long filled = 0;
            for (int k = (int)CellKind.Integer; k <= (int)CellKind.Text; k++)
            {
                filled += counts[i, k];
            }

            // A column without a name or any value is stray formatting, not data.
            if (string.IsNullOrEmpty(header[i]) && filled == 0)
            {
                continue;
            }

            string name = string.IsNullOrEmpty(header[i]) ? SheetReader.ColumnLetters(i) : header[i]!;
            string unique = name;
            for (int n = 2; !taken.Add(unique); n++)
            {
                unique = name + "_" + n.ToString(CultureInfo.InvariantCulture);
            }

            columns.Add(new FileColumn(unique, options.AllVarchar ? "VARCHAR" : ColumnType(counts, i, filled)));
            positions.Add(i);
        }

        return new SheetCells(file, sheet.SheetName, table, sheet.ColumnCount, columns, positions);
    }

    /// <summary>The type most of the column's non-empty cells share; text when none has a majority.</summary>
    private static string ColumnType(long[,] counts, int column, long filled)
    {
        long numbers = counts[column, (int)CellKind.Integer] + counts[column, (int)CellKind.Fraction];
        long dates = counts[column, (int)CellKind.Date] + counts[column, (int)CellKind.DateTime];
        long booleans = counts[column, (int)CellKind.Boolean];
        long best = Math.Max(numbers, Math.Max(dates, booleans));
        if (filled == 0 || best * 2 <= filled)
        {
            return "VARCHAR";
        }

        if (best == numbers)
        {
            return counts[column, (int)CellKind.Fraction] > 0 ? "DOUBLE" : "BIGINT";
        }

        return best == dates ? (counts[column, (int)CellKind.DateTime] > 0 ? "TIMESTAMP" : "DATE") : "BOOLEAN";
    }

    /// <summary>The bronze rows of one sheet: each cell cast to its unified column's type, a row with a cell that does not convert kept as a reject.</summary>
    private static string SheetBranch(LoadContext context, SheetCells sheet, List<FileColumn> unified)
    {
        var inner = new StringBuilder("SELECT __row, ");
        var checks = new List<string>();
        var raw = new List<string>();
        for (int i = 0; i < sheet.Width; i++)
        {
            string cell = "c" + i.ToString(CultureInfo.InvariantCulture);
            raw.Add($"coalesce(CASE WHEN regexp_matches({cell}, '[,\"\\n\\r]') THEN '\"' || replace({cell}, '\"', '\"\"') || '\"' ELSE {cell} END, '')");
        }

        inner.Append(raw.Count == 0 ? "''" : string.Join(" || ',' || ", raw)).Append(" AS __raw, ");
        for (int u = 0; u < unified.Count; u++)
        {
            FileColumn column = unified[u];
            int own = sheet.Columns.FindIndex(c => string.Equals(c.Name, column.Name, StringComparison.OrdinalIgnoreCase));
            if (own < 0)
            {
                inner.Append($"CAST(NULL AS {column.Type}) AS __v{u}, ");
                continue;
            }

            int position = sheet.Positions[own];
            string cell = "c" + position.ToString(CultureInfo.InvariantCulture);
            inner.Append($"TRY_CAST({cell} AS {column.Type}) AS __v{u}, ");
            string what = DuckDbConnection.QuoteLiteral($"column '{column.Name}' ({SheetReader.ColumnLetters(position)}): '");
            checks.Add($"CASE WHEN {cell} IS NOT NULL AND TRY_CAST({cell} AS {column.Type}) IS NULL THEN {what} || left({cell}, 200) || {DuckDbConnection.QuoteLiteral("' is not a " + column.Type)} END");
        }

        inner.Append(checks.Count == 0 ? "NULL" : $"NULLIF(concat_ws('; ', {string.Join(", ", checks)}), '')").Append(" AS __error FROM ").Append(DuckDbConnection.QuoteIdentifier(sheet.Table));

        var select = new StringBuilder("SELECT ");
        for (int u = 0; u < unified.Count; u++)
        {
            select.Append($"CASE WHEN __error IS NULL THEN __v{u} END AS {DuckDbConnection.QuoteIdentifier(unified[u].Name)}, ");
        }

        select.Append(context.SheetMetaColumns(DuckDbConnection.QuoteLiteral(sheet.File.Relative), DuckDbConnection.QuoteLiteral(sheet.SheetName), "__row", "CASE WHEN __error IS NOT NULL THEN __raw END", "__error"));
        return select.Append(" FROM (").Append(inner).Append(") AS __s").ToString();
    }

    /// <summary>One file's sheet copied as text: its temp table, its width, and its named columns with their sheet positions.</summary>
    private sealed record SheetCells(SourceFile File, string SheetName, string Table, int Width, List<FileColumn> Columns, List<int> Positions);
}
