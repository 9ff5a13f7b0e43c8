using System;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>Execute ('E'): runs a portal, returning at most <see cref="MaxRows"/> rows (0 = all).</summary>
internal readonly record struct Execute(string PortalName, int MaxRows)
{
    public static Execute Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        var execute = new Execute(reader.ReadCString(), reader.ReadInt32());
        reader.ExpectEnd();
        return execute;
    }
}
