using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.BackendMessages;

/// <summary>The body-less acknowledgements of the extended protocol: ParseComplete ('1'), BindComplete ('2'), CloseComplete ('3'), NoData ('n'), PortalSuspended ('s').</summary>
internal static class ParseComplete
{
    public const byte Code = (byte)'1';
    public const byte BindComplete = (byte)'2';
    public const byte CloseComplete = (byte)'3';
    public const byte NoData = (byte)'n';
    public const byte PortalSuspended = (byte)'s';

    public static void Write(MessageWriter writer, byte code = Code)
    {
        writer.StartMessage(code);
        writer.EndMessage();
    }
}
