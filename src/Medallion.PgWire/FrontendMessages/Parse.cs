using System;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>Parse ('P'): a statement name (empty for the unnamed one), its SQL and the parameter type OIDs the client fixed (0 = infer).</summary>
internal sealed record Parse(string StatementName, string Sql, int[] ParameterTypeOids)
{
    public static Parse Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        string name = reader.ReadCString();
        string sql = reader.ReadCString();
        short count = reader.ReadInt16();
        if (count < 0)
        {
            throw MessageFramer.Violation("invalid message format: negative parameter count in Parse");
        }

        int[] oids = new int[count];
        for (int i = 0; i < count; i++)
        {
            oids[i] = reader.ReadInt32();
        }

        reader.ExpectEnd();
        return new Parse(name, sql, oids);
    }
}
