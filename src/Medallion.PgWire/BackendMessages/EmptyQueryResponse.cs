using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>EmptyQueryResponse ('I'): the query had no statement (only whitespace or comments).</summary>
internal static class EmptyQueryResponse
{
    public static void Write(MessageWriter writer)
    {
        writer.StartMessage((byte)'I');
        writer.EndMessage();
    }
}
