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
}
