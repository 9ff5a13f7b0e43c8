using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Transactions;

/// <summary>Writes a schema as Delta schema JSON (PROTOCOL.md "Schema Serialization Format"), the <c>schemaString</c> of <c>metaData</c>.</summary>
public static class SchemaSerializer
{
    /// <summary>The schema as the <c>schemaString</c> of a <c>metaData</c> action.</summary>
    public static string Serialize(StructType schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Write(w => WriteType(w, schema));
    }

    /// <summary>
    /// One field as its JSON in the schema (<c>name</c>, <c>type</c>, <c>nullable</c>, <c>metadata</c>): Spark's
    /// <c>StructField</c> JSON, which catalogs such as Unity Catalog hand to engines as a column's <c>type_json</c>.
    /// </summary>
    public static string SerializeField(StructField field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return Write(w => WriteField(w, field));
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, ActionSerializer.WriterOptions))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteField(Utf8JsonWriter w, StructField f)
    {
        w.WriteStartObject();
        w.WriteString("name", f.Name);
        w.WritePropertyName("type");
        WriteType(w, f.Type);
        w.WriteBoolean("nullable", f.Nullable);
        w.WriteStartObject("metadata");
        foreach ((string key, JsonElement value) in f.Metadata)
        {
            w.WritePropertyName(key);
            value.WriteTo(w);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteType(Utf8JsonWriter w, DeltaType type)
    {
        switch (type)
        {
            case StructType s:
                w.WriteStartObject();
                w.WriteString("type", "struct");
                w.WriteStartArray("fields");
                foreach (StructField f in s.Fields)
                {
                    WriteField(w, f);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case ArrayType a:
                w.WriteStartObject();
                w.WriteString("type", "array");
                w.WritePropertyName("elementType");
                WriteType(w, a.ElementType);
                w.WriteBoolean("containsNull", a.ContainsNull);
                w.WriteEndObject();
                break;
            case MapType m:
                w.WriteStartObject();
                w.WriteString("type", "map");
                w.WritePropertyName("keyType");
                WriteType(w, m.KeyType);
                w.WritePropertyName("valueType");
                WriteType(w, m.ValueType);
                w.WriteBoolean("valueContainsNull", m.ValueContainsNull);
                w.WriteEndObject();
                break;
            default:
                // Primitives and decimal(p,s) are bare strings.
                w.WriteStringValue(type.ToString());
                break;
        }
    }

    /// <summary>True when any field at any depth satisfies <paramref name="predicate"/>.</summary>
    internal static bool AnyField(DeltaType type, System.Func<StructField, bool> predicate)
    {
        switch (type)
        {
            case StructType s:
                foreach (StructField f in s.Fields)
                {
                    if (predicate(f) || AnyField(f.Type, predicate))
                    {
                        return true;
                    }
                }

                return false;
            case ArrayType a:
                return AnyField(a.ElementType, predicate);
            case MapType m:
                return AnyField(m.KeyType, predicate) || AnyField(m.ValueType, predicate);
            default:
                return false;
        }
    }

    /// <summary>True when the type or any nested type is <paramref name="name"/>.</summary>
    internal static bool UsesPrimitive(DeltaType type, string name) => type switch
    {
        PrimitiveType p => p.Name == name,
        StructType s => AnyFieldType(s.Fields, name),
        ArrayType a => UsesPrimitive(a.ElementType, name),
        MapType m => UsesPrimitive(m.KeyType, name) || UsesPrimitive(m.ValueType, name),
        _ => false,
    };

    private static bool AnyFieldType(IReadOnlyList<StructField> fields, string name)
    {
        foreach (StructField f in fields)
        {
            if (UsesPrimitive(f.Type, name))
            {
                return true;
            }
        }

        return false;
    }
}
