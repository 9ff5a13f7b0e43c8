using System;

namespace Medallion.Platform.Access;

/// <summary>Who takes an administrative act, as the audit records it.</summary>
/// <param name="User">The signed-in user, or the operating-system user for the CLI.</param>
/// <param name="Client">From where: the client's address and port, or <c>cli</c>.</param>
/// <param name="Channel">Through what: <c>cli</c>, <c>api</c>, <c>web</c> or <c>server</c>.</param>
public sealed record AccessActor(string User, string Client, string Channel)
{
    /// <summary>The person at the machine, through the CLI.</summary>
    public static AccessActor Cli => new(Environment.UserName, "cli", "cli");

    /// <summary>The server itself, on its own start: the operating-system user who started it.</summary>
    public static AccessActor Server => new(Environment.UserName, "server", "server");

    /// <summary>Whether <see cref="User"/> is a catalog user who signed in (the REST API or the web UI), not the operating-system user of the CLI or the server.</summary>
    public bool SignedIn => Channel is "api" or "web";
}
