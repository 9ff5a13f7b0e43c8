using System;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>Query ('Q'): simple-protocol SQL text, possibly several statements.</summary>
internal static class Query
{
    public static string Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        string sql = reader.ReadCString();
        reader.ExpectEnd();
        return sql;
    }
}
