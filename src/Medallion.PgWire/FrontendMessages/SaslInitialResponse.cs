using System;
using System.Text;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.FrontendMessages;

/// <summary>SASLInitialResponse ('p'): the chosen mechanism and the client-first-message.</summary>
internal sealed record SaslInitialResponse(string Mechanism, string? Data)
{
    public static SaslInitialResponse Read(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body);
        string mechanism = reader.ReadCString();
        int length = reader.ReadInt32();
        string? data = length < 0 ? null : Encoding.UTF8.GetString(reader.ReadBytes(length));
        reader.ExpectEnd();
        return new SaslInitialResponse(mechanism, data);
    }

    /// <summary>SASLResponse ('p' again): the whole body is the client-final-message.</summary>
    public static string ReadResponse(ReadOnlySpan<byte> body) => Encoding.UTF8.GetString(body);
}
