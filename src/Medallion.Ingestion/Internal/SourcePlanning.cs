using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Ingestion.Internal;

/// <summary>Checks shared by the table sources: named columns exist, and a stored position fits the settings.</summary>
internal static class SourcePlanning
{
    public static T[] Resolve<T>(SourceTableOptions options, string table, IReadOnlyList<T> columns, Func<T, string> name, IReadOnlyList<string> names, string role) =>
        names.Select(n => columns.FirstOrDefault(c => name(c) == n)
            ?? throw SourceErrors.ColumnNotFound(options.SourceName, table, role, n, columns.Select(name))).ToArray();

    public static SourcePosition? CheckPosition(SourceTableOptions options, string table, SourcePosition? after, IReadOnlyList<string> cursor)
    {
        if (after is null)
        {
            return null;
        }

        if (after.Mode != IngestionMode.Incremental)
        {
            throw SourceErrors.PositionMismatch(options.SourceName, table, "it was written by a full load, not an incremental read");
        }

        if (!after.CursorColumns.SequenceEqual(cursor, StringComparer.Ordinal))
        {
            throw SourceErrors.PositionMismatch(options.SourceName, table, $"its cursor is ({string.Join(", ", after.CursorColumns)}), the settings say ({string.Join(", ", cursor)})");
        }

        if (after.HasCursor && (after.CursorValues.Count != cursor.Count || after.CursorValues.Any(v => v is null)))
        {
            throw SourceErrors.PositionMismatch(options.SourceName, table, "its cursor value is incomplete");
        }

        return after;
    }
}
