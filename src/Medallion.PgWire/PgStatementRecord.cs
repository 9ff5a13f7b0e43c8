using System;
using System.Net;
using Medallion.Engine.Sessions;

namespace Medallion.PgWire;

/// <summary>One client statement as it ended, for an audit (<see cref="PgWireServerOptions.StatementCompleted"/>).</summary>
/// <param name="User">The authenticated user.</param>
/// <param name="RemoteEndPoint">The client's address, when known.</param>
/// <param name="StartedAt">When the statement started.</param>
/// <param name="Text">The statement's text as the client sent it.</param>
/// <param name="Reads">The tables and columns it read, from the session's parse of it (none for a statement refused before binding).</param>
/// <param name="Rows">Rows sent to the client.</param>
/// <param name="Duration">From the first Execute (or Describe) to the last row or the error.</param>
/// <param name="Outcome"><c>ok</c>, <c>error</c> or <c>cancelled</c>.</param>
/// <param name="SqlState">The SQLSTATE sent to the client when it failed; null when it succeeded.</param>
/// <param name="ErrorMessage">The error's message when it failed.</param>
public sealed record PgStatementRecord(
    string User,
    EndPoint? RemoteEndPoint,
    DateTimeOffset StartedAt,
    string Text,
    StatementReads Reads,
    long Rows,
    TimeSpan Duration,
    string Outcome,
    string? SqlState,
    string? ErrorMessage);
