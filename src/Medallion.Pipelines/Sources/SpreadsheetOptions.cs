using System;
using System.Collections.Generic;
using System.Globalization;
using Medallion.Pipelines.ProjectFiles;

namespace Medallion.Pipelines.Sources;

/// <summary>
/// The options of a spreadsheet source (<c>xlsx</c>, <c>xls</c>): which sheet, which row holds the column names, and
/// whether cells keep their types. Checked when the project is read, so a mistake names the source file's line.
/// </summary>
/// <param name="Sheet">The sheet's name, or its 1-based position when no sheet has that name; null for the first sheet.</param>
/// <param name="HeaderRow">The 1-based row holding the column names (rows above it are skipped); 0 when the sheet has none and columns are named by their letters.</param>
/// <param name="AllVarchar">Every cell lands as text, as it is displayed without formatting.</param>
internal sealed record SpreadsheetOptions(string? Sheet, int HeaderRow, bool AllVarchar)
{
    /// <summary>The option keys a spreadsheet source accepts.</summary>
    public static readonly string[] Keys = ["sheet", "header_row", "all_varchar"];

    /// <summary>Checks the values of the options (the keys were checked by the map's reader).</summary>
    public static void Check(YamlFile file, YamlMap options)
    {
        if (options.Long("header_row") is long row && row is < 0 or > int.MaxValue)
        {
            throw file.Error(options.Value("header_row")!, $"'header_row' must be the 1-based number of the row holding the column names, or 0 when the sheet has none, but found {row}.");
        }

        if (options.Has("all_varchar"))
        {
            _ = options.Bool("all_varchar");
        }

        if (options.Has("sheet") && string.IsNullOrWhiteSpace(options.String("sheet")))
        {
            throw file.Error(options.Value("sheet")!, "'sheet' is empty. Expected a sheet's name or its 1-based position, e.g. 'sheet: Orders' or 'sheet: 2'.");
        }
    }

    /// <summary>The options of a source whose options were checked by <see cref="Check"/>.</summary>
    public static SpreadsheetOptions From(IReadOnlyDictionary<string, string> options)
    {
        string? sheet = options.TryGetValue("sheet", out string? s) ? s : null;
        int headerRow = options.TryGetValue("header_row", out string? h) ? int.Parse(h, NumberStyles.Integer, CultureInfo.InvariantCulture) : 1;
        bool allVarchar = options.TryGetValue("all_varchar", out string? a) && a.Trim().ToLowerInvariant() is "true" or "yes" or "on";
        return new SpreadsheetOptions(sheet, headerRow, allVarchar);
    }
}
