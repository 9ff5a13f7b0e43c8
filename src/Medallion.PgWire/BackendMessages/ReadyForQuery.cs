using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>ReadyForQuery ('Z') with the transaction status: 'I' idle, 'T' in a block, 'E' in a failed block.</summary>
internal static class ReadyForQuery
{
    public static void Write(MessageWriter writer, char transactionStatus)
    {
        writer.StartMessage((byte)'Z');
        writer.WriteByte((byte)transactionStatus);
        writer.EndMessage();
    }
}
