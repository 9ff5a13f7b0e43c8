using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>ParameterStatus ('S'): the current value of a setting clients track.</summary>
internal static class ParameterStatus
{
    public static void Write(MessageWriter writer, string name, string value)
    {
        writer.StartMessage((byte)'S');
        writer.WriteCString(name);
        writer.WriteCString(value);
        writer.EndMessage();
    }
}
