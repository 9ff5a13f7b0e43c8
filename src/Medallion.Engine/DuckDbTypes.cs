using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Medallion.Delta.Schema;

namespace Medallion.Engine;

/// <summary>
/// Maps between DuckDB SQL types and Delta types: the DuckDB type a Delta column is written as, and the Delta type
/// a query's column becomes. DuckDB's <c>TIMESTAMP</c> has no time zone, so it becomes <c>timestamp_ntz</c>;
/// <c>TIMESTAMP WITH TIME ZONE</c> becomes <c>timestamp</c>.
/// </summary>
public static class DuckDbTypes
{
    private static readonly IReadOnlyDictionary<string, JsonElement> s_noMetadata = new Dictionary<string, JsonElement>();

    /// <summary>The DuckDB type a Delta type is stored as.</summary>
    public static string ToDuckDb(DeltaType type) => type switch
    {
        DecimalType d => $"DECIMAL({d.Precision},{d.Scale})",
        ArrayType a => ToDuckDb(a.ElementType) + "[]",
        MapType m => $"MAP({ToDuckDb(m.KeyType)}, {ToDuckDb(m.ValueType)})",
        StructType s => "STRUCT(" + string.Join(", ", FieldList(s)) + ")",
        PrimitiveType p => p.Name switch
        {
            "string" => "VARCHAR",
            "long" => "BIGINT",
            "integer" => "INTEGER",
            "short" => "SMALLINT",
            "byte" => "TINYINT",
            "float" => "FLOAT",
            "double" => "DOUBLE",
            "boolean" => "BOOLEAN",
            "binary" => "BLOB",
            "date" => "DATE",
            "timestamp" => "TIMESTAMPTZ",
            "timestamp_ntz" => "TIMESTAMP",
            "void" => "INTEGER",
            _ => throw new ArgumentException($"The Delta type '{p.Name}' has no DuckDB equivalent here.", nameof(type)),
        },
        _ => throw new ArgumentException($"Unknown Delta type {type}.", nameof(type)),
    };

    private static IEnumerable<string> FieldList(StructType s)
    {
        foreach (StructField f in s.Fields)
        {
            yield return Medallion.DuckDb.DuckDbConnection.QuoteIdentifier(f.Name) + " " + ToDuckDb(f.Type);
        }
    }

    /// <summary>
    /// The Delta type of a DuckDB type name as <c>DESCRIBE</c> prints it, or <see langword="null"/> with a reason
    /// when Delta cannot store it (TIME, INTERVAL, unsigned 64-bit and 128-bit integers, unions, enums are cast to string).
    /// </summary>
    public static DeltaType? FromDuckDb(string duckType, out string? reason)
    {
        reason = null;
        var parser = new Parser(duckType);
        try
        {
            DeltaType? t = parser.ParseType(out reason);
            return t;
        }
        catch (FormatException e)
        {
            reason = $"cannot parse DuckDB type '{duckType}': {e.Message}";
            return null;
        }
    }

    private sealed class Parser(string text)
    {
        private int _pos;

        public DeltaType? ParseType(out string? reason)
        {
            reason = null;
            SkipSpaces();
            string word = ReadWord();
            DeltaType? type;
            switch (word.ToUpperInvariant())
            {
                case "STRUCT":
                    Expect('(');
                    var fields = new List<StructField>();
                    while (true)
                    {
                        SkipSpaces();
                        string name = ReadIdentifier();
                        DeltaType? ft = ParseType(out reason);
                        if (ft is null)
                        {
                            return null;
                        }

                        fields.Add(new StructField(name, ft, true, s_noMetadata));
                        SkipSpaces();
                        if (Peek() == ',')
                        {
                            _pos++;
                            continue;
                        }

                        Expect(')');
                        break;
                    }

                    type = new StructType(fields);
                    break;
                case "MAP":
                    Expect('(');
                    DeltaType? k = ParseType(out reason);
                    Expect(',');
                    DeltaType? v = k is null ? null : ParseType(out reason);
                    Expect(')');
                    if (k is null || v is null)
                    {
                        return null;
                    }

                    type = new MapType(k, v, true);
                    break;
                case "DECIMAL" or "NUMERIC":
                    int precision = 18, scale = 3;
                    SkipSpaces();
                    if (Peek() == '(')
                    {
                        _pos++;
                        precision = ReadInt();
                        Expect(',');
                        scale = ReadInt();
                        Expect(')');
                    }

                    type = new DecimalType(precision, scale);
                    break;
                default:
                    type = Primitive(word, out reason);
                    if (type is null)
                    {
                        return null;
                    }

                    break;
            }

            // Array suffixes: T[] (list) and T[n] (fixed array) both become Delta arrays.
            while (true)
            {
                SkipSpaces();
                if (Peek() != '[')
                {
                    return type;
                }

                while (_pos < text.Length && text[_pos] != ']')
                {
                    _pos++;
                }

                Expect(']');
                type = new ArrayType(type, true);
            }
        }

        private DeltaType? Primitive(string word, out string? reason)
        {
            reason = null;
            string upper = word.ToUpperInvariant();
            if (upper == "TIMESTAMP")
            {
                // "TIMESTAMP WITH TIME ZONE"
                int save = _pos;
                SkipSpaces();
                if (text.AsSpan(_pos).StartsWith("WITH TIME ZONE", StringComparison.OrdinalIgnoreCase))
                {
                    _pos += "WITH TIME ZONE".Length;
                    return PrimitiveType.Timestamp;
                }

                _pos = save;
                return PrimitiveType.TimestampNtz;
            }

            if (upper == "ENUM")
            {
                // ENUM('a', 'b'): the members do not matter, values are written as strings.
                SkipParenthesized();
            }

            switch (upper)
            {
                case "VARCHAR" or "TEXT" or "STRING" or "UUID" or "JSON" or "ENUM" or "BIT":
                    return PrimitiveType.String;
                case "BIGINT" or "INT8" or "LONG" or "UINTEGER":
                    return PrimitiveType.Long;
                case "INTEGER" or "INT" or "INT4" or "USMALLINT":
                    return PrimitiveType.Integer;
                case "SMALLINT" or "INT2" or "UTINYINT":
                    return PrimitiveType.Short;
                case "TINYINT" or "INT1":
                    return PrimitiveType.Byte;
                case "FLOAT" or "REAL" or "FLOAT4":
                    return PrimitiveType.Float;
                case "DOUBLE" or "FLOAT8":
                    return PrimitiveType.Double;
                case "BOOLEAN" or "BOOL":
                    return PrimitiveType.Boolean;
                case "BLOB" or "BYTEA" or "VARBINARY":
                    return PrimitiveType.Binary;
                case "DATE":
                    return PrimitiveType.Date;
                case "TIMESTAMPTZ":
                    return PrimitiveType.Timestamp;
                case "TIMESTAMP_S" or "TIMESTAMP_MS" or "TIMESTAMP_NS" or "DATETIME":
                    return PrimitiveType.TimestampNtz;
                case "UBIGINT" or "HUGEINT" or "UHUGEINT":
                    return new DecimalType(38, 0);
                case "\"NULL\"" or "NULL":
                    return PrimitiveType.String;
                default:
                    reason = $"DuckDB type {word} has no Delta equivalent (Delta has no TIME, INTERVAL or UNION types); cast it, e.g. to VARCHAR";
                    return null;
            }
        }

        private void SkipParenthesized()
        {
            SkipSpaces();
            if (Peek() != '(')
            {
                return;
            }

            bool quoted = false;
            while (_pos < text.Length)
            {
                char c = text[_pos++];
                if (c == '\'')
                {
                    quoted = !quoted;
                }
                else if (c == ')' && !quoted)
                {
                    return;
                }
            }
        }

        private void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private char Peek() => _pos < text.Length ? text[_pos] : '\0';

        private void Expect(char c)
        {
            SkipSpaces();
            if (Peek() != c)
            {
                throw new FormatException($"expected '{c}' at position {_pos}");
            }

            _pos++;
        }

        private string ReadWord()
        {
            int start = _pos;
            if (Peek() == '"')
            {
                return ReadIdentifier();
            }

            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_'))
            {
                _pos++;
            }

            if (start == _pos)
            {
                throw new FormatException($"expected a type name at position {_pos}");
            }

            return text[start.._pos];
        }

        private string ReadIdentifier()
        {
            SkipSpaces();
            if (Peek() != '"')
            {
                return ReadWord();
            }

            var sb = new StringBuilder();
            _pos++;
            while (_pos < text.Length)
            {
                char c = text[_pos++];
                if (c == '"')
                {
                    if (Peek() == '"')
                    {
                        sb.Append('"');
                        _pos++;
                        continue;
                    }

                    return sb.ToString();
                }

                sb.Append(c);
            }

            throw new FormatException("unterminated quoted identifier");
        }

        private int ReadInt()
        {
            SkipSpaces();
            int start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            {
                _pos++;
            }

            return int.Parse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture);
        }
    }
}
