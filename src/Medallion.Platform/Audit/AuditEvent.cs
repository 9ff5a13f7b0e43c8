using System;
using System.Collections.Generic;

namespace Medallion.Platform.Audit;

/// <summary>
/// One row of the audit (<c>medallion_audit.events</c>): a statement someone ran, or an administrative act. Build one
/// with <see cref="Statement"/> or <see cref="Admin"/> and hand it to <see cref="AuditLog.Record"/>.
/// </summary>
public sealed record AuditEvent
{
    /// <summary>The <see cref="Kind"/> of a statement run through the SQL endpoint, the web UI or the shell.</summary>
    public const string StatementKind = "statement";

    /// <summary>The <see cref="Kind"/> of an administrative act (users, roles, grants, tokens, vacuums, restores, reloads, triggers, erasures).</summary>
    public const string AdminKind = "admin";

    /// <summary>The <see cref="Kind"/> of a failed login (a wrong password, an unknown user, or a login refused while too many were in progress).</summary>
    public const string LoginKind = "login";

    /// <summary>A unique id (a version-7 GUID, so ids sort by time).</summary>
    public string Id { get; init; } = Guid.CreateVersion7().ToString("N");

    /// <summary>When it happened (for a statement, when it started).</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary><see cref="StatementKind"/>, <see cref="AdminKind"/> or <see cref="LoginKind"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>Who: the authenticated user, or the operating-system user for the shell and the CLI; for a failed login, the user name given.</summary>
    public required string User { get; init; }

    /// <summary>From where: the client's address and port, or <c>shell</c> / <c>cli</c> for the person at the machine.</summary>
    public required string Client { get; init; }

    /// <summary>Through what: <c>sql</c> (the SQL endpoint), <c>web</c>, <c>api</c>, <c>shell</c>, <c>cli</c> or <c>server</c>.</summary>
    public required string Channel { get; init; }

    /// <summary>What: <c>query</c> for a statement, <c>login</c> for a failed login, or the act (<c>user.add</c>, <c>token.create</c>, <c>delta.vacuum</c>, <c>job.trigger</c>, ...).</summary>
    public required string Action { get; init; }

    /// <summary>The statement's text, as run; null for an act. It is stored with the CPFs, CNPJs, e-mails and card numbers in it masked.</summary>
    public string? Text { get; init; }

    /// <summary>The object an act is about (a user, a table, a job, a run); null for a statement.</summary>
    public string? Target { get; init; }

    /// <summary>The lakehouse tables a statement read, as DuckDB's parse of it shows (<c>ns.table</c>, <c>ns.table@v3</c>).</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>The columns a statement names, as written (<c>o.amount</c>, <c>*</c>).</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>Rows a statement returned (or an act affected); null when not known.</summary>
    public long? Rows { get; init; }

    /// <summary>How long it took; null when not measured.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary><c>ok</c>, <c>error</c> or <c>cancelled</c>.</summary>
    public string Outcome { get; init; } = "ok";

    /// <summary>The SQLSTATE of a failed statement (<c>42P01</c>), or the MDL code of a failed act.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The error's message, when it failed.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>More about an act, as JSON text (e.g. <c>{"role":"operator"}</c>); null when there is nothing more.</summary>
    public string? Details { get; init; }

    /// <summary>A statement someone ran.</summary>
    /// <param name="user">Who.</param>
    /// <param name="client">From where (address:port, or <c>shell</c>).</param>
    /// <param name="channel"><c>sql</c>, <c>web</c>, <c>api</c> or <c>shell</c>.</param>
    /// <param name="text">The statement, verbatim.</param>
    public static AuditEvent Statement(string user, string client, string channel, string text) =>
        new() { Kind = StatementKind, User = user, Client = client, Channel = channel, Action = "query", Text = text };

    /// <summary>An administrative act.</summary>
    /// <param name="user">Who.</param>
    /// <param name="client">From where.</param>
    /// <param name="channel"><c>cli</c>, <c>api</c>, <c>web</c> or <c>server</c>.</param>
    /// <param name="action">The act, <c>area.verb</c> (<c>user.add</c>, <c>delta.vacuum</c>).</param>
    /// <param name="target">What it acted on.</param>
    public static AuditEvent Admin(string user, string client, string channel, string action, string? target) =>
        new() { Kind = AdminKind, User = user, Client = client, Channel = channel, Action = action, Target = target };

    /// <summary>A login that failed: outcome <c>error</c>, the code and the message the client got.</summary>
    /// <param name="user">The user name given (whether or not it exists).</param>
    /// <param name="client">From where (address:port).</param>
    /// <param name="channel"><c>sql</c>, <c>api</c> or <c>web</c>.</param>
    /// <param name="errorCode">Why: the MDL code (a wrong password or unknown user, or a login refused while too many were in progress).</param>
    /// <param name="message">What the client was told.</param>
    public static AuditEvent FailedLogin(string user, string client, string channel, string errorCode, string message) =>
        new() { Kind = LoginKind, User = user, Client = client, Channel = channel, Action = "login", Outcome = "error", ErrorCode = errorCode, ErrorMessage = message };
}
