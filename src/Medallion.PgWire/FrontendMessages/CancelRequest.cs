using System;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>CancelRequest: sent on a new connection, names the session (process id and secret) whose query to cancel.</summary>
internal readonly record struct CancelRequest(int ProcessId, int SecretKey)
{
    public static CancelRequest Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        reader.ReadInt32(); // the request code
        var request = new CancelRequest(reader.ReadInt32(), reader.ReadInt32());
        reader.ExpectEnd();
        return request;
    }
}
