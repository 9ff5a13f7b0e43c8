using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>BackendKeyData ('K'): the process id and secret a CancelRequest must quote.</summary>
internal static class BackendKeyData
{
    public static void Write(MessageWriter writer, int processId, int secretKey)
    {
        writer.StartMessage((byte)'K');
        writer.WriteInt32(processId);
        writer.WriteInt32(secretKey);
        writer.EndMessage();
    }
}
