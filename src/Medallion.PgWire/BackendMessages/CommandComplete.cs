using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>CommandComplete ('C') with its tag, e.g. <c>SELECT 3</c> or <c>SET</c>.</summary>
internal static class CommandComplete
{
    public static void Write(MessageWriter writer, string tag)
    {
        writer.StartMessage((byte)'C');
        writer.WriteCString(tag);
        writer.EndMessage();
    }
}
