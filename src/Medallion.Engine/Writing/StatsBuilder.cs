using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Medallion.Delta.Schema;
using Medallion.Delta.Transactions;

namespace Medallion.Engine.Writing;

/// <summary>
/// Turns DuckDB's <c>RETURN_STATS</c> column statistics (strings keyed by quoted column paths such as <c>"a"."b"</c>)
/// into the Delta <c>stats</c> JSON (PROTOCOL.md "Per-file Statistics"): <c>numRecords</c>, and <c>minValues</c>,
/// <c>maxValues</c>, <c>nullCount</c> mirroring the (physical) schema. Bounds are left out where they could be wrong:
/// floating point columns holding NaN, strings longer than 32 characters (the max; the min becomes a prefix),
/// booleans, binary, and anything inside arrays and maps.
/// </summary>
internal static class StatsBuilder
{
    private const int StringPrefixLength = 32;

    public static string Build(long numRecords, IReadOnlyDictionary<object, object?>? columnStats, StructType physicalSchema)
    {
        var root = new Node();
        if (columnStats is not null)
        {
            foreach ((object keyObject, object? value) in columnStats)
            {
                if (value is not IDictionary<object, object?> map)
                {
                    continue;
                }

                List<string>? path = ParsePath((string)keyObject);
                if (path is null || Resolve(physicalSchema, path) is not PrimitiveOrDecimal(DeltaType type))
                {
                    continue;
                }

                Node node = root;
                for (int i = 0; i < path.Count - 1; i++)
                {
                    node = node.Child(path[i]);
                }

                string leaf = path[^1];
                if (Get(map, "null_count") is string nulls && long.TryParse(nulls, NumberStyles.Integer, CultureInfo.InvariantCulture, out long nullCount))
                {
                    node.NullCounts[leaf] = nullCount;
                }

                if (string.Equals(Get(map, "has_nan"), "true", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (Bound(Get(map, "min"), type, isMax: false) is { } min)
                {
                    node.Mins[leaf] = min;
                }

                if (Bound(Get(map, "max"), type, isMax: true) is { } max)
                {
                    node.Maxes[leaf] = max;
                }
            }
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, ActionSerializer.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("numRecords", numRecords);
            w.WritePropertyName("minValues");
            root.Write(w, n => n.Mins);
            w.WritePropertyName("maxValues");
            root.Write(w, n => n.Maxes);
            w.WritePropertyName("nullCount");
            root.Write(w, n => n.NullCounts);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string? Get(IDictionary<object, object?> map, string key) => map.TryGetValue(key, out object? v) ? v as string : null;

    private sealed record PrimitiveOrDecimal(DeltaType Type);

    private static PrimitiveOrDecimal? Resolve(StructType schema, List<string> path)
    {
        StructType current = schema;
        for (int i = 0; i < path.Count; i++)
        {
            StructField? f = null;
            foreach (StructField candidate in current.Fields)
            {
                if (string.Equals(candidate.Name, path[i], StringComparison.Ordinal))
                {
                    f = candidate;
                    break;
                }
            }

            if (f is null)
            {
                return null;
            }

            if (i == path.Count - 1)
            {
                return f.Type is PrimitiveType or DecimalType ? new PrimitiveOrDecimal(f.Type) : null;
            }

            if (f.Type is not StructType s)
            {
                return null;
            }

            current = s;
        }

        return null;
    }

    /// <summary>A JSON value (as a writer action) for a bound, or null when the bound must be left out.</summary>
    private static Action<Utf8JsonWriter, string>? Bound(string? text, DeltaType type, bool isMax)
    {
        if (text is null)
        {
            return null;
        }

        CultureInfo inv = CultureInfo.InvariantCulture;
        switch (type)
        {
            case DecimalType:
                return decimal.TryParse(text, NumberStyles.Float, inv, out decimal d) ? (w, n) => w.WriteNumber(n, d) : null;
            case PrimitiveType p:
                switch (p.Name)
                {
                    case "long" or "integer" or "short" or "byte":
                        return long.TryParse(text, NumberStyles.Integer, inv, out long l) ? (w, n) => w.WriteNumber(n, l) : null;
                    case "float" or "double":
                        return double.TryParse(text, NumberStyles.Float, inv, out double x) && double.IsFinite(x) ? (w, n) => w.WriteNumber(n, x) : null;
                    case "string":
                        if (text.Length > StringPrefixLength)
                        {
                            if (isMax)
                            {
                                return null;
                            }

                            // A prefix is still a lower bound; cut before a surrogate pair is split.
                            int cut = char.IsHighSurrogate(text[StringPrefixLength - 1]) ? StringPrefixLength - 1 : StringPrefixLength;
                            string prefix = text[..cut];
                            return (w, n) => w.WriteString(n, prefix);
                        }

                        return (w, n) => w.WriteString(n, text);
                    case "date":
                        return DateOnly.TryParseExact(text, "yyyy-MM-dd", inv, DateTimeStyles.None, out _) ? (w, n) => w.WriteString(n, text) : null;
                    case "timestamp":
                        return TryTimestamp(text, out DateTime utc) ? (w, n) => w.WriteString(n, utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", inv)) : null;
                    case "timestamp_ntz":
                        return TryTimestamp(text, out DateTime local) ? (w, n) => w.WriteString(n, local.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", inv)) : null;
                    default:
                        return null;
                }

            default:
                return null;
        }
    }

    /// <summary>Parses DuckDB's timestamp text (<c>2024-01-01 10:00:00.123456</c>, optionally with <c>+00</c>) as UTC/unspecified.</summary>
    internal static bool TryTimestamp(string text, out DateTime value)
    {
        string s = text;
        int plus = s.LastIndexOfAny(['+', '-']);
        bool hasOffset = plus > 10;
        if (hasOffset)
        {
            // DuckDB prints offsets as +00 or +05:30; make them parseable.
            string offset = s[plus..];
            if (offset.Length == 3)
            {
                s += ":00";
            }
        }

        string[] formats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:sszzz", "yyyy-MM-dd HH:mm:ss.FFFFFFFzzz"];
        if (DateTimeOffset.TryParseExact(s, formats, CultureInfo.InvariantCulture, hasOffset ? DateTimeStyles.None : DateTimeStyles.AssumeUniversal, out DateTimeOffset dto))
        {
            value = hasOffset ? dto.UtcDateTime : dto.DateTime;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Splits <c>"a"."b ""c"""</c> into its identifiers; null for anything that is not a quoted path.</summary>
    internal static List<string>? ParsePath(string key)
    {
        var parts = new List<string>();
        int i = 0;
        while (i < key.Length)
        {
            if (key[i] != '"')
            {
                return null;
            }

            var sb = new StringBuilder();
            i++;
            while (true)
            {
                if (i >= key.Length)
                {
                    return null;
                }

                if (key[i] == '"')
                {
                    if (i + 1 < key.Length && key[i + 1] == '"')
                    {
                        sb.Append('"');
                        i += 2;
                        continue;
                    }

                    i++;
                    break;
                }

                sb.Append(key[i++]);
            }

            parts.Add(sb.ToString());
            if (i < key.Length)
            {
                if (key[i] != '.')
                {
                    return null;
                }

                i++;
            }
        }

        return parts.Count == 0 ? null : parts;
    }

    private sealed class Node
    {
        private readonly Dictionary<string, Node> _children = new(StringComparer.Ordinal);

        public Dictionary<string, Action<Utf8JsonWriter, string>> Mins { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Action<Utf8JsonWriter, string>> Maxes { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> NullCounts { get; } = new(StringComparer.Ordinal);

        public Node Child(string name)
        {
            if (!_children.TryGetValue(name, out Node? n))
            {
                n = new Node();
                _children[name] = n;
            }

            return n;
        }

        public void Write<T>(Utf8JsonWriter w, Func<Node, Dictionary<string, T>> select)
        {
            w.WriteStartObject();
            foreach ((string name, T value) in select(this))
            {
                switch (value)
                {
                    case Action<Utf8JsonWriter, string> write:
                        write(w, name);
                        break;
                    case long count:
                        w.WriteNumber(name, count);
                        break;
                }
            }

            foreach ((string name, Node child) in _children)
            {
                w.WritePropertyName(name);
                child.Write(w, select);
            }

            w.WriteEndObject();
        }
    }
}
