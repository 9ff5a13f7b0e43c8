using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Medallion.Cli.Output;

/// <summary>Aligned columns for people: a header, a rule, then one line per row (numbers right-aligned).</summary>
internal static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> names, IReadOnlyList<bool> rightAligned, IReadOnlyList<string[]> rows)
    {
        int[] widths = names.Select((name, i) => Math.Max(name.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(IReadOnlyList<string> values) =>
            " " + string.Join(" │ ", values.Select((value, i) => rightAligned[i] ? value.PadLeft(widths[i]) : value.PadRight(widths[i])));

        output.WriteLine(Line(names));
        output.WriteLine("─" + string.Join("─┼─", widths.Select(w => new string('─', w))));
        foreach (string[] row in rows)
        {
            output.WriteLine(Line(row));
        }
    }
}
