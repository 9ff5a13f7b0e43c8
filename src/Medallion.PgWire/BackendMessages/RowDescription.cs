using System.Collections.Generic;
using Medallion.PgWire.Internal;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>RowDescription ('T'): name, type and format of each result column.</summary>
internal static class RowDescription
{
    public static void Write(MessageWriter writer, IReadOnlyList<ResultColumn> columns)
    {
        writer.StartMessage((byte)'T');
        writer.WriteInt16((short)columns.Count);
        foreach (ResultColumn column in columns)
        {
            writer.WriteCString(column.Name);
            writer.WriteInt32(0); // table OID: results are not tied to a pg_class row
            writer.WriteInt16(0); // column number
            writer.WriteInt32(column.Type.Oid);
            writer.WriteInt16(column.Type.Length);
            writer.WriteInt32(column.TypeModifier);
            writer.WriteInt16(column.Binary ? (short)1 : (short)0);
        }

        writer.EndMessage();
    }
}
