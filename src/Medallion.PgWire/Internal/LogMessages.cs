using System;
using Microsoft.Extensions.Logging;

namespace Medallion.PgWire.Internal;

/// <summary>Stable event ids of the PgWire layer (9000 range, like its error codes).</summary>
internal static class MedallionEventId
{
    public const int Listening = 9001;
    public const int ConnectionFailed = 9002;
    public const int SessionStarted = 9003;
    public const int LoginFailed = 9004;
    public const int StatementFailed = 9005;
    public const int AuthenticationTimedOut = 9006;
    // 9007 (logins slowed) is retired: every failed login is logged as 9004, with the count of those not logged.
    public const int ConnectionRefused = 9008;
    public const int AcceptFailing = 9009;
    public const int AcceptingAgain = 9010;
    public const int TrustingLoopback = 9011;
    public const int TlsNotRequired = 9012;
    public const int PlainConnection = 9013;
    public const int StatementFailedUnexpectedly = 9014;
}

/// <summary>The PgWire layer's log messages.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = MedallionEventId.Listening, Level = LogLevel.Information, Message = "PostgreSQL endpoint listening on {Address}:{Port}")]
    public static partial void Listening(ILogger logger, System.Net.IPAddress address, int port);

    [LoggerMessage(EventId = MedallionEventId.ConnectionFailed, Level = LogLevel.Error, Message = "Connection {ProcessId} ended with an unexpected error")]
    public static partial void ConnectionFailed(ILogger logger, Exception error, int processId);

    [LoggerMessage(EventId = MedallionEventId.SessionStarted, Level = LogLevel.Debug, Message = "Session {ProcessId} started for user {User} on database {Database}")]
    public static partial void SessionStarted(ILogger logger, int processId, string user, string database);

    [LoggerMessage(EventId = MedallionEventId.LoginFailed, Level = LogLevel.Warning, Message = "Failed login for user {User} from {Remote} over {Surface}: {Reason} ({Unlogged} more failed logins from this address since its last such line)")]
    public static partial void LoginFailed(ILogger logger, string user, string remote, string surface, string reason, int unlogged);

    [LoggerMessage(EventId = MedallionEventId.StatementFailed, Level = LogLevel.Debug, Message = "Session {ProcessId}: statement failed with {SqlState}: {Message}")]
    public static partial void StatementFailed(ILogger logger, int processId, string sqlState, string message);

    [LoggerMessage(EventId = MedallionEventId.StatementFailedUnexpectedly, Level = LogLevel.Error, Message = "Session {ProcessId}: statement failed with an unexpected error (a bug; the client got XX000)")]
    public static partial void StatementFailedUnexpectedly(ILogger logger, Exception error, int processId);

    [LoggerMessage(EventId = MedallionEventId.AuthenticationTimedOut, Level = LogLevel.Debug, Message = "Connection {ProcessId} from {Remote} did not authenticate within {Timeout}; closed")]
    public static partial void AuthenticationTimedOut(ILogger logger, int processId, System.Net.EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(EventId = MedallionEventId.ConnectionRefused, Level = LogLevel.Warning, Message = "Refused a connection from {Address}: {Reason} ({Unlogged} more refused from this address since its last such line)")]
    public static partial void ConnectionRefused(ILogger logger, System.Net.IPAddress address, string reason, int unlogged);

    [LoggerMessage(EventId = MedallionEventId.AcceptFailing, Level = LogLevel.Warning, Message = "Accepting clients fails; retrying with a growing pause (up to 1 s) until it works again")]
    public static partial void AcceptFailing(ILogger logger, Exception error);

    [LoggerMessage(EventId = MedallionEventId.AcceptingAgain, Level = LogLevel.Information, Message = "Accepting clients again after {Failures} failed attempts")]
    public static partial void AcceptingAgain(ILogger logger, int failures);

    [LoggerMessage(EventId = MedallionEventId.TrustingLoopback, Level = LogLevel.Warning, Message = "Clients on this machine log in as any user without a password (trust loopback): every local process can read all that any user can, admins' unmasked data included. Help: use it only on a machine you alone use, or give users passwords and drop the trust")]
    public static partial void TrustingLoopback(ILogger logger);

    [LoggerMessage(EventId = MedallionEventId.TlsNotRequired, Level = LogLevel.Warning, Message = "TLS is offered but not required: clients that do not ask for it connect unencrypted, and their queries and results cross the network in clear. Help: require TLS (--require-tls) once every client connects with sslmode=require")]
    public static partial void TlsNotRequired(ILogger logger);

    [LoggerMessage(EventId = MedallionEventId.PlainConnection, Level = LogLevel.Warning, Message = "Unencrypted connection from {Remote} for user {User} while TLS is offered ({Unlogged} more from this address since its last such line)")]
    public static partial void PlainConnection(ILogger logger, System.Net.EndPoint? remote, string user, int unlogged);
}
