using System;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.Internal;

/// <summary>
/// The storage layer's log messages (the remote stores of Medallion.Storage.S3 and .Azure log through
/// <see cref="RemoteObjectStore"/>). Event ids are 15000-15999: 10000 above storage's error codes (5000 range), so an
/// event id is never mistaken for an error code (0-9999) nor for another project's events.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 15001, Level = LogLevel.Warning, Message = "Request to {Operation} '{Key}' in {Store} failed after the client's retries ({Code}, transient: {Transient})")]
    public static partial void RequestFailed(ILogger logger, string operation, string key, string store, ErrorCode code, bool transient, Exception error);
}
