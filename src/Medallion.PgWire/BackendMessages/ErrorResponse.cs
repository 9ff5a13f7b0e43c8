using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>ErrorResponse ('E') and NoticeResponse ('N'): severity, SQLSTATE, message and optional hint.</summary>
internal static class ErrorResponse
{
    public static void Write(MessageWriter writer, string severity, string sqlState, string message, string? hint = null, byte code = (byte)'E')
    {
        writer.StartMessage(code);
        writer.WriteByte((byte)'S');
        writer.WriteCString(severity);
        writer.WriteByte((byte)'V');
        writer.WriteCString(severity);
        writer.WriteByte((byte)'C');
        writer.WriteCString(sqlState);
        writer.WriteByte((byte)'M');
        writer.WriteCString(message.Replace('\0', ' '));
        if (!string.IsNullOrEmpty(hint))
        {
            writer.WriteByte((byte)'H');
            writer.WriteCString(hint.Replace('\0', ' '));
        }

        writer.WriteByte(0);
        writer.EndMessage();
    }

    public static void WriteNotice(MessageWriter writer, string sqlState, string message) =>
        Write(writer, "WARNING", sqlState, message, hint: null, code: (byte)'N');
}
