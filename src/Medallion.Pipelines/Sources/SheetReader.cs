using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using ExcelDataReader;
using ExcelDataReader.Exceptions;

namespace Medallion.Pipelines.Sources;

/// <summary>What a spreadsheet cell holds, as far as typing its column goes.</summary>
internal enum CellKind
{
    Empty,
    Integer,
    Fraction,
    Date,
    DateTime,
    Boolean,
    Text,
}

/// <summary>
/// One sheet of a workbook, row by row (ExcelDataReader streams the rows of an xlsx sheet from the zip entry; an xls
/// workbook is a compound file it reads whole, which BIFF8's 65,536 rows keep small). A merged range reads as its
/// top-left value in every cell it covers, as the sheet shows it.
/// </summary>
internal sealed class SheetReader : IDisposable
{
    private readonly Stream _stream;
    private readonly IExcelDataReader _reader;
    private readonly CellRange[] _merges;
    private readonly object?[] _mergeValues;
    private readonly SourceFile _file;
    private readonly SourceDefinition _source;

    static SheetReader()
    {
        // ExcelDataReader asks for code page 1252 even for xlsx (its default fallback encoding) and xls strings may be
        // in any Windows code page; .NET has those only once this provider is registered (process-wide, idempotent).
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    private SheetReader(Stream stream, IExcelDataReader reader, SourceFile file, SourceDefinition source)
    {
        _stream = stream;
        _reader = reader;
        _file = file;
        _source = source;
        SheetName = reader.Name;
        ColumnCount = reader.FieldCount;
        _merges = (reader.MergeCells ?? []).OrderBy(m => m.FromRow).ToArray();
        _mergeValues = new object?[_merges.Length];
        Cells = new object?[ColumnCount];
    }

    /// <summary>The sheet's name.</summary>
    public string SheetName { get; }

    /// <summary>The number of columns of the sheet (every row has this many cells).</summary>
    public int ColumnCount { get; }

    /// <summary>The current row's 1-based number in the sheet.</summary>
    public long Row { get; private set; }

    /// <summary>The current row's cells (reused for each row).</summary>
    public object?[] Cells { get; }

    /// <summary>Opens the file and moves to the chosen sheet.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.SourceFileUnreadable"/> when the file is not a workbook of its format or has no such sheet.</exception>
    public static SheetReader Open(SourceFile file, SourceDefinition source, string? sheet)
    {
        Stream stream;
        try
        {
            stream = new FileStream(file.Absolute, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileSourceLoader.Unreadable(file.Absolute, e);
        }

        IExcelDataReader? reader = null;
        try
        {
            reader = source.Format == SourceFormat.Xls ? ExcelReaderFactory.CreateBinaryReader(stream) : ExcelReaderFactory.CreateOpenXmlReader(stream);
            if (sheet is not null)
            {
                MoveToSheet(reader, sheet, file, source);
            }

            return new SheetReader(stream, reader, file, source);
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            reader?.Dispose();
            stream.Dispose();
            throw FileSourceLoader.ReadFailed(file, source, e);
        }
        catch
        {
            reader?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    private static void MoveToSheet(IExcelDataReader reader, string sheet, SourceFile file, SourceDefinition source)
    {
        // A name wins over a position, so a sheet named "2" is found by its name.
        var names = new List<string>();
        do
        {
            if (string.Equals(reader.Name, sheet, StringComparison.Ordinal))
            {
                return;
            }

            names.Add(reader.Name);
        }
        while (reader.NextResult());

        if (int.TryParse(sheet, NumberStyles.None, CultureInfo.InvariantCulture, out int position) && position >= 1 && position <= names.Count)
        {
            reader.Reset();
            for (int i = 1; i < position; i++)
            {
                reader.NextResult();
            }

            return;
        }

        throw new MedallionException(ErrorCode.SourceFileUnreadable,
            $"Source '{source.Name}' cannot read '{file.Relative}': it has no sheet '{sheet}'.{NameSuggester.DidYouMean(sheet, names)} Its sheets: {string.Join(", ", names.Select(n => "'" + n + "'"))}.\n"
            + $"Help: set 'sheet' under 'options' in {source.Location.File} to one of them or to its position (1 for the first); nothing was loaded.");
    }

    /// <summary>Moves to the next row; false at the end of the sheet.</summary>
    public bool Read()
    {
        try
        {
            if (!_reader.Read())
            {
                return false;
            }

            Row++;
            for (int i = 0; i < Cells.Length; i++)
            {
                Cells[i] = _reader.GetValue(i);
            }
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            throw FileSourceLoader.ReadFailed(_file, _source, e);
        }

        ApplyMerges();
        return true;
    }

    /// <summary>Fills the cells a merged range covers with its top-left value (ExcelDataReader's rows and columns are 0-based).</summary>
    private void ApplyMerges()
    {
        long row = Row - 1;
        for (int m = 0; m < _merges.Length && _merges[m].FromRow <= row; m++)
        {
            CellRange range = _merges[m];
            if (row > range.ToRow || range.FromColumn >= Cells.Length)
            {
                continue;
            }

            if (row == range.FromRow)
            {
                _mergeValues[m] = Cells[range.FromColumn];
            }

            for (int c = range.FromColumn; c <= range.ToColumn && c < Cells.Length; c++)
            {
                Cells[c] = _mergeValues[m];
            }
        }
    }

    /// <summary>The cell's kind and its text in the form DuckDB casts from (null when empty).</summary>
    public static (CellKind Kind, string? Text) Render(object? value)
    {
        switch (value)
        {
            case null:
                return (CellKind.Empty, null);
            case string s:
                return s.Length == 0 ? (CellKind.Empty, null) : (CellKind.Text, s);
            case bool b:
                return (CellKind.Boolean, b ? "true" : "false");
            case double or float or int or long or short:
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                // Whole numbers within a double's exact range are integers; beyond it the digits are not the sheet's anyway.
                return double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9_007_199_254_740_992d
                    ? (CellKind.Integer, ((long)d).ToString(CultureInfo.InvariantCulture))
                    : (CellKind.Fraction, d.ToString("R", CultureInfo.InvariantCulture));
            case DateTime t:
                return t.TimeOfDay == TimeSpan.Zero
                    ? (CellKind.Date, t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                    : (CellKind.DateTime, t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
            case TimeSpan span:
                return (CellKind.Text, span.ToString("c", CultureInfo.InvariantCulture));
            default:
                return (CellKind.Text, Convert.ToString(value, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A column's letters as the sheet shows them (0 is A, 26 is AA).</summary>
    public static string ColumnLetters(int index)
    {
        var letters = new StringBuilder();
        for (int n = index + 1; n > 0; n = (n - 1) / 26)
        {
            letters.Insert(0, (char)('A' + ((n - 1) % 26)));
        }

        return letters.ToString();
    }

    private static bool IsReaderFailure(Exception e) =>
        e is ExcelReaderException or InvalidDataException or XmlException or NotSupportedException or FormatException or IOException or IndexOutOfRangeException or ArgumentException;

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
    }
}
