using System;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>
/// Bind ('B'): makes a portal from a prepared statement, with parameter values (null for SQL NULL)
/// in text or binary and the formats wanted for the result columns.
/// </summary>
internal sealed record Bind(string PortalName, string StatementName, short[] ParameterFormats, byte[]?[] ParameterValues, short[] ResultFormats)
{
    public static Bind Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        string portal = reader.ReadCString();
        string statement = reader.ReadCString();
        short[] parameterFormats = ReadFormats(ref reader);
        short count = reader.ReadInt16();
        if (count < 0)
        {
            throw MessageFramer.Violation("invalid message format: negative parameter count in Bind");
        }

        var values = new byte[]?[count];
        for (int i = 0; i < count; i++)
        {
            int length = reader.ReadInt32();
            values[i] = length == -1 ? null : reader.ReadBytes(length).ToArray();
        }

        short[] resultFormats = ReadFormats(ref reader);
        reader.ExpectEnd();
        return new Bind(portal, statement, parameterFormats, values, resultFormats);
    }

    /// <summary>The format of value <paramref name="index"/>: none given means text, one given applies to all.</summary>
    public static bool IsBinary(short[] formats, int index) =>
        formats.Length switch
        {
            0 => false,
            1 => formats[0] == 1,
            _ => index < formats.Length && formats[index] == 1,
        };

    private static short[] ReadFormats(ref PayloadReader reader)
    {
        short count = reader.ReadInt16();
        if (count < 0)
        {
            throw MessageFramer.Violation("invalid message format: negative format count in Bind");
        }

        short[] formats = new short[count];
        for (int i = 0; i < count; i++)
        {
            formats[i] = reader.ReadInt16();
            if (formats[i] is not (0 or 1))
            {
                throw MessageFramer.Violation($"unsupported format code: {formats[i]}");
            }
        }

        return formats;
    }
}
