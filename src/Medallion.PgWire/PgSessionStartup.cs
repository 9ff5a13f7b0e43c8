using System.Collections.Generic;
using System.Net;

namespace Medallion.PgWire;

/// <summary>What a client asked for when it connected, after it has been authenticated.</summary>
/// <param name="User">The authenticated user name.</param>
/// <param name="Database">The database named in the startup message (the user name when absent, as in PostgreSQL).</param>
/// <param name="ApplicationName">The client's <c>application_name</c>, or empty.</param>
/// <param name="RemoteEndPoint">The client's address, when known.</param>
/// <param name="Parameters">Every startup parameter the client sent, names as sent.</param>
public sealed record PgSessionStartup(
    string User,
    string Database,
    string ApplicationName,
    EndPoint? RemoteEndPoint,
    IReadOnlyDictionary<string, string> Parameters);
