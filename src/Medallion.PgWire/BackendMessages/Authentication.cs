using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>The Authentication* messages ('R'): Ok, SASL, SASLContinue, SASLFinal.</summary>
internal static class Authentication
{
    public static void WriteOk(MessageWriter writer)
    {
        writer.StartMessage((byte)'R');
        writer.WriteInt32(0);
        writer.EndMessage();
    }

    /// <summary>AuthenticationSASL: the mechanisms we offer, each a C string, then an empty one.</summary>
    public static void WriteSasl(MessageWriter writer, string mechanism)
    {
        writer.StartMessage((byte)'R');
        writer.WriteInt32(10);
        writer.WriteCString(mechanism);
        writer.WriteByte(0);
        writer.EndMessage();
    }

    public static void WriteSaslContinue(MessageWriter writer, string data)
    {
        writer.StartMessage((byte)'R');
        writer.WriteInt32(11);
        writer.WriteString(data);
        writer.EndMessage();
    }

    public static void WriteSaslFinal(MessageWriter writer, string data)
    {
        writer.StartMessage((byte)'R');
        writer.WriteInt32(12);
        writer.WriteString(data);
        writer.EndMessage();
    }
}
