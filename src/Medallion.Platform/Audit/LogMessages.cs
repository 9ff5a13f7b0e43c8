using System;
using Microsoft.Extensions.Logging;

namespace Medallion.Platform.Audit;

/// <summary>What the audit logs: only its own trouble, never an event's content.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Audit event dropped ({Kind} {Action} by {User}): the queue stayed full for {Wait}; {Dropped} dropped so far")]
    public static partial void EventDropped(ILogger logger, string kind, string user, string action, TimeSpan wait, long dropped);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Writing {Count} audit events to {Location} failed; trying again in {Pause}")]
    public static partial void BatchFailed(ILogger logger, int count, string location, TimeSpan pause, Exception error);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "{Count} audit events were lost at shutdown: {Location} could not be written")]
    public static partial void BatchLost(ILogger logger, int count, string location, Exception error);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Audit upkeep (retention {Retention}): {Deleted} events deleted, {Packed} small files packed into {Written}")]
    public static partial void Maintained(ILogger logger, TimeSpan retention, long deleted, int packed, int written);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "The audit upkeep pass on {Location} failed")]
    public static partial void MaintenanceFailed(ILogger logger, string location, Exception error);
}
