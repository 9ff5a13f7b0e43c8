using System.Collections.Generic;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>NegotiateProtocolVersion ('v'): the newest minor version we speak and the startup options we ignored.</summary>
internal static class NegotiateProtocolVersion
{
    public static void Write(MessageWriter writer, int newestMinor, IReadOnlyList<string> unrecognizedOptions)
    {
        writer.StartMessage((byte)'v');
        writer.WriteInt32(newestMinor);
        writer.WriteInt32(unrecognizedOptions.Count);
        foreach (string option in unrecognizedOptions)
        {
            writer.WriteCString(option);
        }

        writer.EndMessage();
    }
}
