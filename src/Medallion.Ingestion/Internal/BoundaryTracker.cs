using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Makes an incremental read exact at its cursor boundary. The query reads <c>cursor &gt;= last</c> in cursor
/// order; the rows equal to <c>last</c> come first, and each of them whose key was delivered before (listed in
/// the start position, counted as a multiset so non-unique keys work too) is skipped once. While reading, it
/// tracks the last cursor value and the keys delivered with it, which is the position after each batch.
/// </summary>
internal sealed class BoundaryTracker
{
    private readonly IReadOnlyList<string> _cursorColumns;
    private readonly string?[]? _startCursor;
    private readonly Dictionary<string, int> _toSkip = new(StringComparer.Ordinal);
    private string?[]? _cursor;
    private List<IReadOnlyList<string?>> _keys = [];

    public BoundaryTracker(IReadOnlyList<string> cursorColumns, int keyColumns, SourcePosition? start)
    {
        _cursorColumns = cursorColumns;
        TextColumns = cursorColumns.Count + keyColumns;
        if (start is { HasCursor: true })
        {
            _startCursor = [.. start.CursorValues];
            _cursor = _startCursor;
            _keys = [.. start.BoundaryKeys];
            foreach (IReadOnlyList<string?> key in start.BoundaryKeys)
            {
                string encoded = Encode(key);
                _toSkip[encoded] = _toSkip.GetValueOrDefault(encoded) + 1;
            }
        }
    }

    /// <summary>How many text values lead each row: the cursor columns, then the key columns.</summary>
    public int TextColumns { get; }

    /// <summary>Rows delivered so far in this stream.</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Takes a row's leading texts (<see cref="TextColumns"/> of them: cursor, then key); returns false for a row
    /// delivered by an earlier run (skip it), otherwise records it and returns true.
    /// </summary>
    public bool Observe(string?[] texts)
    {
        string?[] cursor = texts[.._cursorColumns.Count];
        string?[] key = texts[_cursorColumns.Count..];
        if (_toSkip.Count > 0 && Same(cursor, _startCursor!))
        {
            string encoded = Encode(key);
            if (_toSkip.TryGetValue(encoded, out int remaining))
            {
                if (remaining == 1)
                {
                    _toSkip.Remove(encoded);
                }
                else
                {
                    _toSkip[encoded] = remaining - 1;
                }

                return false;
            }
        }

        if (_cursor is null || !Same(cursor, _cursor))
        {
            _cursor = cursor;
            _keys = [];
        }

        _keys.Add(key);
        Rows++;
        return true;
    }

    public SourcePosition Position() =>
        new(IngestionMode.Incremental, Rows, _cursorColumns, _cursor ?? [], _keys.ToArray());

    private static bool Same(string?[] a, string?[] b) => a.AsSpan().SequenceEqual(b);

    private static string Encode(IReadOnlyList<string?> key) =>
        string.Join('\u001f', key.Select(k => k is null ? "\u0000" : "\u0001" + k));
}
