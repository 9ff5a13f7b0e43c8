using System;
using System.Collections.Generic;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>
/// The first packet of a connection: a protocol version (or one of the special request codes) and,
/// for a real startup, name/value pairs such as <c>user</c> and <c>database</c>.
/// </summary>
internal sealed record StartupMessage(int ProtocolVersion, Dictionary<string, string> Parameters)
{
    public const int SslRequestCode = 80877103;
    public const int GssEncRequestCode = 80877104;
    public const int CancelRequestCode = 80877102;

    public int Major => ProtocolVersion >> 16;

    public int Minor => ProtocolVersion & 0xFFFF;

    public static StartupMessage Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        int version = reader.ReadInt32();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (version >> 16 != 3)
        {
            return new StartupMessage(version, parameters);
        }

        while (true)
        {
            string name = reader.ReadCString();
            if (name.Length == 0)
            {
                break;
            }

            parameters[name] = reader.ReadCString();
        }

        reader.ExpectEnd();
        return new StartupMessage(version, parameters);
    }
}
