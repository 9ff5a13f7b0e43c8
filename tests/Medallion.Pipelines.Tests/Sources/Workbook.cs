using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using NPOI.HSSF.UserModel;
using NPOI.SS.Util;

namespace Medallion.Pipelines.Tests.Sources;

/// <summary>
/// A workbook described in the test and written as a real file: .xlsx by the Open XML SDK, .xls by NPOI's HSSF writer.
/// Cells are strings, numbers (int, double), booleans, <see cref="DateTime"/> (date-formatted, with a time format when
/// they have a time of day) or null; rows are 1-based and may leave gaps.
/// </summary>
public sealed class Workbook
{
    private readonly List<WorkSheet> _sheets = [];

    public WorkSheet Sheet(string name)
    {
        var sheet = new WorkSheet(name);
        _sheets.Add(sheet);
        return sheet;
    }

    public void WriteXlsx(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var document = SpreadsheetDocument.Create(path, SpreadsheetDocumentType.Workbook);
        WorkbookPart workbookPart = document.AddWorkbookPart();
        workbookPart.Workbook = new DocumentFormat.OpenXml.Spreadsheet.Workbook();
        // Style 1 is the built-in date format 14, style 2 the built-in date-and-time format 22.
        workbookPart.AddNewPart<WorkbookStylesPart>().Stylesheet = new Stylesheet(
            new Fonts(new Font()),
            new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })),
            new Borders(new Border()),
            new CellStyleFormats(new CellFormat()),
            new CellFormats(new CellFormat(), new CellFormat { NumberFormatId = 14, ApplyNumberFormat = true }, new CellFormat { NumberFormatId = 22, ApplyNumberFormat = true }));
        var sheets = new Sheets();
        uint id = 1;
        foreach (WorkSheet sheet in _sheets)
        {
            WorksheetPart part = workbookPart.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            foreach ((int number, object?[] cells) in sheet.Rows.OrderBy(r => r.Key))
            {
                var row = new Row { RowIndex = (uint)number };
                for (int c = 0; c < cells.Length; c++)
                {
                    if (XlsxCell(cells[c], CellReference(c, number)) is { } cell)
                    {
                        row.Append(cell);
                    }
                }

                data.Append(row);
            }

            var worksheet = new Worksheet(data);
            if (sheet.Merges.Count > 0)
            {
                worksheet.Append(new MergeCells(sheet.Merges.Select(m => new MergeCell { Reference = m })));
            }

            part.Worksheet = worksheet;
            sheets.Append(new Sheet { Id = workbookPart.GetIdOfPart(part), SheetId = id++, Name = sheet.Name });
        }

        workbookPart.Workbook.AppendChild(sheets);
    }

    public void WriteXls(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var workbook = new HSSFWorkbook();
        var date = workbook.CreateCellStyle();
        date.DataFormat = workbook.CreateDataFormat().GetFormat("yyyy-mm-dd");
        var dateTime = workbook.CreateCellStyle();
        dateTime.DataFormat = workbook.CreateDataFormat().GetFormat("yyyy-mm-dd hh:mm:ss");
        foreach (WorkSheet sheet in _sheets)
        {
            var written = workbook.CreateSheet(sheet.Name);
            foreach ((int number, object?[] cells) in sheet.Rows)
            {
                var row = written.CreateRow(number - 1);
                for (int c = 0; c < cells.Length; c++)
                {
                    switch (cells[c])
                    {
                        case null:
                            break;
                        case string s:
                            row.CreateCell(c).SetCellValue(s);
                            break;
                        case bool b:
                            row.CreateCell(c).SetCellValue(b);
                            break;
                        case DateTime t:
                            var cell = row.CreateCell(c);
                            cell.SetCellValue(t);
                            cell.CellStyle = t.TimeOfDay == TimeSpan.Zero ? date : dateTime;
                            break;
                        default:
                            row.CreateCell(c).SetCellValue(Convert.ToDouble(cells[c], System.Globalization.CultureInfo.InvariantCulture));
                            break;
                    }
                }
            }

            foreach (string merge in sheet.Merges)
            {
                written.AddMergedRegion(CellRangeAddress.ValueOf(merge));
            }
        }

        using var stream = File.Create(path);
        workbook.Write(stream);
    }

    private static Cell? XlsxCell(object? value, string reference) => value switch
    {
        null => null,
        string s => new Cell { CellReference = reference, DataType = CellValues.InlineString, InlineString = new InlineString(new Text(s)) },
        bool b => new Cell { CellReference = reference, DataType = CellValues.Boolean, CellValue = new CellValue(b ? "1" : "0") },
        DateTime t => new Cell
        {
            CellReference = reference,
            CellValue = new CellValue(t.ToOADate().ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            StyleIndex = t.TimeOfDay == TimeSpan.Zero ? 1U : 2U,
        },
        _ => new Cell { CellReference = reference, CellValue = new CellValue(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture).ToString("R", System.Globalization.CultureInfo.InvariantCulture)) },
    };

    private static string CellReference(int column, int row)
    {
        string letters = "";
        for (int n = column + 1; n > 0; n = (n - 1) / 26)
        {
            letters = (char)('A' + ((n - 1) % 26)) + letters;
        }

        return letters + row.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>One sheet of a <see cref="Workbook"/>.</summary>
public sealed class WorkSheet(string name)
{
    public string Name { get; } = name;

    public SortedDictionary<int, object?[]> Rows { get; } = [];

    public List<string> Merges { get; } = [];

    /// <summary>Sets the cells of a 1-based row, from column A.</summary>
    public WorkSheet Row(int number, params object?[] cells)
    {
        Rows[number] = cells;
        return this;
    }

    /// <summary>Merges a range such as "A2:B3".</summary>
    public WorkSheet Merge(string range)
    {
        Merges.Add(range);
        return this;
    }
}
