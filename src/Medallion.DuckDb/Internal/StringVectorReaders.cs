using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb.Internal;

/// <summary>duckdb_string_t: 16 bytes; up to 12 bytes inline at offset 4, else a pointer at offset 8.</summary>
internal abstract unsafe class StringVectorReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected ReadOnlySpan<byte> Bytes(ulong row)
    {
        byte* entry = (byte*)Data + (row * 16);
        uint length = *(uint*)entry;
        byte* bytes = length <= 12 ? entry + 4 : *(byte**)(entry + 8);
        return new ReadOnlySpan<byte>(bytes, checked((int)length));
    }
}

internal sealed class VarcharReader(LogicalTypeInfo type, string columnName) : StringVectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(string);

    public override string GetString(ulong row) => Encoding.UTF8.GetString(Bytes(row));

    public override object GetValue(ulong row) => GetString(row);
}

internal sealed class BlobReader(LogicalTypeInfo type, string columnName) : StringVectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(byte[]);

    public override object GetValue(ulong row) => Bytes(row).ToArray();

    /// <summary>DuckDB's own text form of a BLOB: printable ASCII as is, other bytes as \xHH.</summary>
    public override string GetString(ulong row)
    {
        var builder = new StringBuilder();
        foreach (byte b in Bytes(row))
        {
            if (b >= 32 && b < 127 && b != '\\' && b != '\'' && b != '"')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        return builder.ToString();
    }

    public ReadOnlySpan<byte> GetBytes(ulong row) => Bytes(row);
}

/// <summary>BIT: the first byte counts the padding bits of the second; the rest is the bit string.</summary>
internal sealed class BitReader(LogicalTypeInfo type, string columnName) : StringVectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(string);

    public override string GetString(ulong row)
    {
        ReadOnlySpan<byte> bytes = Bytes(row);
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        int padding = bytes[0];
        var builder = new StringBuilder();
        for (int i = 1; i < bytes.Length; i++)
        {
            for (int bit = 7; bit >= 0; bit--)
            {
                if (i == 1 && 7 - bit < padding)
                {
                    continue;
                }

                builder.Append(((bytes[i] >> bit) & 1) == 1 ? '1' : '0');
            }
        }

        return builder.ToString();
    }

    public override object GetValue(ulong row) => GetString(row);
}
