using System;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>Describe ('D') and Close ('C'): 'S' for a prepared statement or 'P' for a portal, and its name.</summary>
internal readonly record struct Describe(char Kind, string Name)
{
    public static Describe Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        char kind = (char)reader.ReadByte();
        string name = reader.ReadCString();
        reader.ExpectEnd();
        if (kind is not ('S' or 'P'))
        {
            throw MessageFramer.Violation($"invalid Describe/Close target '{kind}': expected 'S' or 'P'");
        }

        return new Describe(kind, name);
    }
}
