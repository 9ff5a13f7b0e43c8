using System.Collections.Generic;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>ParameterDescription ('t'): the type OID of each parameter of a prepared statement.</summary>
internal static class ParameterDescription
{
    public static void Write(MessageWriter writer, IReadOnlyList<int> typeOids)
    {
        writer.StartMessage((byte)'t');
        writer.WriteInt16((short)typeOids.Count);
        foreach (int oid in typeOids)
        {
            writer.WriteInt32(oid);
        }

        writer.EndMessage();
    }
}
