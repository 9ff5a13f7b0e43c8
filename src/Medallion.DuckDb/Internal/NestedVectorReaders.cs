using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb.Internal;

internal sealed unsafe class ListReader : VectorReader
{
    private readonly VectorReader _element;

    public ListReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _element = Create(type.Children[0].Type, columnName + "[]");
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(List<object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        _element.Reset(NativeMethods.DataChunk.ListVectorGetChild(vector));
    }

    public override object GetValue(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        var list = new List<object?>((int)entry.Length);
        for (ulong i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            list.Add(_element.IsValid(i) ? _element.GetValue(i) : null);
        }

        return list;
    }

    /// <summary>A list of integers as <c>long[]</c> reads each element straight from the vector, without boxing it.</summary>
    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) != typeof(long[]))
        {
            return base.GetFieldValue<T>(row);
        }

        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        long[] values = new long[entry.Length];
        for (ulong i = 0; i < entry.Length; i++)
        {
            ulong element = entry.Offset + i;
            values[i] = _element.IsValid(element) ? _element.GetInt64(element) : throw new InvalidCastException($"Column '{ColumnName}' holds a list with a NULL at position {i + 1}, which cannot be read as Int64[].");
        }

        return (T)(object)values;
    }

    public override string GetString(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        return NestedText.List(_element, entry.Offset, entry.Length);
    }
}

internal sealed class ArrayReader : VectorReader
{
    private readonly VectorReader _element;
    private readonly ulong _size;

    public ArrayReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _element = Create(type.Children[0].Type, columnName + "[]");
        _size = type.ArraySize;
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(List<object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        _element.Reset(NativeMethods.DataChunk.ArrayVectorGetChild(vector));
    }

    public override object GetValue(ulong row)
    {
        var list = new List<object?>((int)_size);
        for (ulong i = row * _size; i < (row + 1) * _size; i++)
        {
            list.Add(_element.IsValid(i) ? _element.GetValue(i) : null);
        }

        return list;
    }

    public override string GetString(ulong row) => NestedText.List(_element, row * _size, _size);
}

internal sealed class StructReader : VectorReader
{
    private readonly VectorReader[] _fields;

    public StructReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _fields = new VectorReader[type.Children.Count];
        for (int i = 0; i < _fields.Length; i++)
        {
            _fields[i] = Create(type.Children[i].Type, columnName + "." + type.Children[i].Name);
        }
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(Dictionary<string, object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        for (int i = 0; i < _fields.Length; i++)
        {
            _fields[i].Reset(NativeMethods.DataChunk.StructVectorGetChild(vector, (ulong)i));
        }
    }

    public override object GetValue(ulong row)
    {
        var fields = new Dictionary<string, object?>(_fields.Length, StringComparer.Ordinal);
        for (int i = 0; i < _fields.Length; i++)
        {
            fields[Type.Children[i].Name] = _fields[i].IsValid(row) ? _fields[i].GetValue(row) : null;
        }

        return fields;
    }

    public override string GetString(ulong row)
    {
        var builder = new StringBuilder("{");
        for (int i = 0; i < _fields.Length; i++)
        {
            builder.Append(i == 0 ? string.Empty : ", ").Append('\'').Append(Type.Children[i].Name).Append("': ");
            builder.Append(NestedText.Element(_fields[i], row));
        }

        return builder.Append('}').ToString();
    }
}

/// <summary>MAP is a LIST of STRUCT(key, value); keys are never NULL.</summary>
internal sealed unsafe class MapReader : VectorReader
{
    private readonly VectorReader _key;
    private readonly VectorReader _value;

    public MapReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _key = Create(type.Children[0].Type, columnName + ".key");
        _value = Create(type.Children[1].Type, columnName + ".value");
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(Dictionary<object, object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        IntPtr entries = NativeMethods.DataChunk.ListVectorGetChild(vector);
        _key.Reset(NativeMethods.DataChunk.StructVectorGetChild(entries, 0));
        _value.Reset(NativeMethods.DataChunk.StructVectorGetChild(entries, 1));
    }

    public override object GetValue(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        var map = new Dictionary<object, object?>((int)entry.Length);
        for (ulong i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            map[_key.GetValue(i)] = _value.IsValid(i) ? _value.GetValue(i) : null;
        }

        return map;
    }

    public override string GetString(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        var builder = new StringBuilder("{");
        for (ulong i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            builder.Append(i == entry.Offset ? string.Empty : ", ").Append(NestedText.Element(_key, i)).Append('=').Append(NestedText.Element(_value, i));
        }

        return builder.Append('}').ToString();
    }
}

/// <summary>
/// Text for nested values in DuckDB's notation (<c>[1, 2]</c>, <c>{'a': 'x'}</c>, <c>{'k'=v}</c>), except that strings
/// and temporal values are always quoted (DuckDB quotes only some), so the text is unambiguous.
/// </summary>
internal static class NestedText
{
    public static string List(VectorReader element, ulong offset, ulong length)
    {
        var builder = new StringBuilder("[");
        for (ulong i = offset; i < offset + length; i++)
        {
            builder.Append(i == offset ? string.Empty : ", ").Append(Element(element, i));
        }

        return builder.Append(']').ToString();
    }

    public static string Element(VectorReader reader, ulong row)
    {
        if (!reader.IsValid(row))
        {
            return "NULL";
        }

        string text = reader.GetString(row);
        return reader is VarcharReader or EnumReader or UuidReader or DateReader or TimestampReader or TimeReader or BlobReader or IntervalReader
            ? "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'"
            : text;
    }
}

/// <summary>UNION is a STRUCT whose first child is the tag naming the member that holds the value.</summary>
internal sealed unsafe class UnionReader : VectorReader
{
    private readonly VectorReader[] _members;
    private byte* _tags;

    public UnionReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _members = new VectorReader[type.Children.Count];
        for (int i = 0; i < _members.Length; i++)
        {
            _members[i] = Create(type.Children[i].Type, columnName + "." + type.Children[i].Name);
        }
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(object);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        _tags = (byte*)NativeMethods.DataChunk.VectorGetData(NativeMethods.DataChunk.StructVectorGetChild(vector, 0));
        for (int i = 0; i < _members.Length; i++)
        {
            _members[i].Reset(NativeMethods.DataChunk.StructVectorGetChild(vector, (ulong)i + 1));
        }
    }

    public override object GetValue(ulong row)
    {
        VectorReader member = _members[_tags[row]];
        return member.IsValid(row) ? member.GetValue(row) : DBNull.Value;
    }

    public override string GetString(ulong row) => NestedText.Element(_members[_tags[row]], row);
}
