using Microsoft.Extensions.Logging;

namespace Medallion.Spark.Internal;

/// <summary>
/// The Spark Connect client's log messages. Event ids are 12200-12299: 10000 above its error codes (2200 range), so an
/// event id is never mistaken for an error code nor for another project's events. No message carries the token or a
/// header value: the server is named by <see cref="SparkConnectRemote.ToString"/>, which hides them.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 12201, Level = LogLevel.Debug, Message = "Spark operation {OperationId} started in session {SessionId} on {Remote}")]
    public static partial void ExecutionStarted(ILogger logger, string operationId, string sessionId, SparkConnectRemote remote);

    [LoggerMessage(EventId = 12202, Level = LogLevel.Warning, Message = "The result stream of Spark operation {OperationId} broke or ended early ({Reason}); reattaching after response {LastResponseId}, attempt {Attempt}")]
    public static partial void Reattaching(ILogger logger, string operationId, string reason, string lastResponseId, int attempt);

    [LoggerMessage(EventId = 12203, Level = LogLevel.Debug, Message = "Spark operation {OperationId} was {Why}; interrupting it on the server")]
    public static partial void Interrupting(ILogger logger, string operationId, string why);

    [LoggerMessage(EventId = 12204, Level = LogLevel.Debug, Message = "Spark operation {OperationId} finished after {Responses} responses and was released")]
    public static partial void ExecutionFinished(ILogger logger, string operationId, int responses);

    [LoggerMessage(EventId = 12205, Level = LogLevel.Warning, Message = "The result stream of Spark operation {OperationId} broke before its first response and the server has no such operation; sending it again with the same id, attempt {Attempt}")]
    public static partial void Reexecuting(ILogger logger, string operationId, int attempt);
}
