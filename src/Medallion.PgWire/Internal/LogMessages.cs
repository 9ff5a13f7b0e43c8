using System;
using Microsoft.Extensions.Logging;

namespace Medallion.PgWire.Internal;

/// <summary>Stable event ids of the PgWire layer (9000 range, like its error codes).</summary>
internal static class MedallionEventId
{
    public const int Listening = 9001;
    public const int ConnectionFailed = 9002;
    public const int SessionStarted = 9003;
    public const int AuthenticationFailed = 9004;
    public const int StatementFailed = 9005;
    public const int AuthenticationTimedOut = 9006;
    public const int LoginsSlowed = 9007;
    public const int TooManyConnections = 9008;
    public const int AcceptFailing = 9009;
    public const int AcceptingAgain = 9010;
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

    [LoggerMessage(EventId = MedallionEventId.AuthenticationFailed, Level = LogLevel.Warning, Message = "Authentication failed for user {User} from {Remote}")]
    public static partial void AuthenticationFailed(ILogger logger, string user, string remote);

    [LoggerMessage(EventId = MedallionEventId.StatementFailed, Level = LogLevel.Debug, Message = "Session {ProcessId}: statement failed with {SqlState}: {Message}")]
    public static partial void StatementFailed(ILogger logger, int processId, string sqlState, string message);

    [LoggerMessage(EventId = MedallionEventId.AuthenticationTimedOut, Level = LogLevel.Debug, Message = "Connection {ProcessId} from {Remote} did not authenticate within {Timeout}; closed")]
    public static partial void AuthenticationTimedOut(ILogger logger, int processId, System.Net.EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(EventId = MedallionEventId.LoginsSlowed, Level = LogLevel.Warning, Message = "{Failures} failed logins from {Address}: answers to its logins now wait up to {MaxDelay}")]
    public static partial void LoginsSlowed(ILogger logger, int failures, System.Net.IPAddress address, TimeSpan maxDelay);

    [LoggerMessage(EventId = MedallionEventId.TooManyConnections, Level = LogLevel.Warning, Message = "Refused a connection from {Remote}: {MaxConnections} clients are connected already (max connections)")]
    public static partial void TooManyConnections(ILogger logger, System.Net.EndPoint? remote, int maxConnections);

    [LoggerMessage(EventId = MedallionEventId.AcceptFailing, Level = LogLevel.Warning, Message = "Accepting clients fails; retrying with a growing pause (up to 1 s) until it works again")]
    public static partial void AcceptFailing(ILogger logger, Exception error);

    [LoggerMessage(EventId = MedallionEventId.AcceptingAgain, Level = LogLevel.Information, Message = "Accepting clients again after {Failures} failed attempts")]
    public static partial void AcceptingAgain(ILogger logger, int failures);
}
