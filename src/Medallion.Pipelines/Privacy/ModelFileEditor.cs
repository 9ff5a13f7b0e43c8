using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Pipelines.ProjectFiles;

namespace Medallion.Pipelines.Privacy;

/// <summary>
/// Writes a column's classification into a model's <c>.sql</c> file by editing only the lines of its config block that
/// must change, so comments, key order, quoting and the SQL stay as the author wrote them.
/// </summary>
public static class ModelFileEditor
{
    /// <summary>
    /// The text of a model file with <c>classification: <paramref name="classification"/></c> set on
    /// <paramref name="column"/>: replacing the column's classification, adding one to its entry (a scalar entry, its
    /// description, becomes a map), adding the column under <c>columns:</c>, adding <c>columns:</c> to the block, or
    /// adding a block to a file without one.
    /// </summary>
    /// <param name="filePath">The file, for error messages.</param>
    /// <param name="text">The file's text.</param>
    /// <param name="column">The column to classify.</param>
    /// <param name="classification">The class, e.g. <c>pii</c>.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ProjectFileInvalid"/> when the block's <c>columns</c> is written in flow style (<c>{...}</c>), which cannot be edited line by line.</exception>
    public static string SetClassification(string filePath, string text, string column, string classification)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(column);
        ArgumentException.ThrowIfNullOrEmpty(classification);
        string newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        List<string> lines = [.. text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')];
        if (ModelConfigReader.FindBlock(filePath, text.Replace("\r\n", "\n", StringComparison.Ordinal)) is not { } block)
        {
            lines.InsertRange(0, ["/* ---", "columns:", $"  {column}:", $"    classification: {classification}", "--- */"]);
            return string.Join(newline, lines);
        }

        int first = block.LineOffset; // index of the first YAML line
        int end = first + block.Yaml.Split('\n').Length; // index of the '--- */' line
        int columnsLine = FindKey(lines, first, end, 0, "columns");
        if (columnsLine < 0)
        {
            lines.InsertRange(end, ["columns:", $"  {column}:", $"    classification: {classification}"]);
            return string.Join(newline, lines);
        }

        string afterColon = lines[columnsLine][(lines[columnsLine].IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        if (afterColon.StartsWith('{'))
        {
            throw new MedallionException(ErrorCode.ProjectFileInvalid,
                $"{filePath}:{columnsLine + 1}: 'columns' is written as a flow map ({{...}}), which cannot be edited without rewriting it.\nHelp: write the columns one per line, or add 'classification: {classification}' to '{column}' by hand.");
        }

        int columnsEnd = BlockEnd(lines, columnsLine, end, 0);
        int childIndent = ChildIndent(lines, columnsLine + 1, columnsEnd) ?? 2;
        int entry = FindKey(lines, columnsLine + 1, columnsEnd, childIndent, column);
        string pad = new(' ', childIndent);
        if (entry < 0)
        {
            lines.InsertRange(columnsEnd, [$"{pad}{column}:", $"{pad}  classification: {classification}"]);
            return string.Join(newline, lines);
        }

        string entryValue = lines[entry][(lines[entry].IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        if (entryValue.Length > 0 && !entryValue.StartsWith('#'))
        {
            // A scalar entry is the column's description: keep it as one.
            lines[entry] = $"{pad}{column}:";
            lines.InsertRange(entry + 1, [$"{pad}  description: {entryValue}", $"{pad}  classification: {classification}"]);
            return string.Join(newline, lines);
        }

        int entryEnd = BlockEnd(lines, entry, columnsEnd, childIndent);
        int propertyIndent = ChildIndent(lines, entry + 1, entryEnd) ?? childIndent + 2;
        int existing = FindKey(lines, entry + 1, entryEnd, propertyIndent, "classification");
        string property = $"{new string(' ', propertyIndent)}classification: {classification}";
        if (existing >= 0)
        {
            lines[existing] = property;
        }
        else
        {
            lines.Insert(entry + 1, property);
        }

        return string.Join(newline, lines);
    }

    /// <summary>The line of <c>key:</c> at exactly <paramref name="indent"/> spaces between two lines; -1 when absent.</summary>
    private static int FindKey(List<string> lines, int from, int to, int indent, string key)
    {
        for (int i = from; i < to; i++)
        {
            string line = lines[i];
            if (Indent(line) == indent && line.Length > indent
                && (line[indent..].StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)
                    || line[indent..].StartsWith($"\"{key}\":", StringComparison.OrdinalIgnoreCase)))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The line after the last line nested under the key at <paramref name="keyLine"/> (blank and comment lines at its end excluded).</summary>
    private static int BlockEnd(List<string> lines, int keyLine, int to, int indent)
    {
        int last = keyLine;
        for (int i = keyLine + 1; i < to; i++)
        {
            if (IsBlank(lines[i]))
            {
                continue;
            }

            if (Indent(lines[i]) <= indent)
            {
                break;
            }

            last = i;
        }

        return last + 1;
    }

    private static int? ChildIndent(List<string> lines, int from, int to) =>
        lines.Skip(from).Take(to - from).Where(l => !IsBlank(l)).Select(Indent).Cast<int?>().FirstOrDefault();

    private static bool IsBlank(string line) => line.Trim().Length == 0 || line.TrimStart().StartsWith('#');

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;
}
