using System;
using System.Net;

namespace Medallion.PgWire;

/// <summary>A login that failed or was refused, as <see cref="LoginGuardOptions.Failed"/> reports it.</summary>
/// <param name="Account">The user name the client gave (whether or not such a user exists).</param>
/// <param name="Client">The client's address and port, when known.</param>
/// <param name="Surface">Where: <see cref="LoginGuard.SqlSurface"/>, <see cref="LoginGuard.ApiSurface"/> or <see cref="LoginGuard.WebSurface"/>.</param>
/// <param name="At">When it failed.</param>
/// <param name="Throttled">True when the login was refused without a check (no place came free in time), false for a wrong password or unknown user.</param>
/// <param name="Reason">What the client was told.</param>
public sealed record LoginFailure(string Account, EndPoint? Client, string Surface, DateTimeOffset At, bool Throttled, string Reason);
