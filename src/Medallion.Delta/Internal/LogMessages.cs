using System;
using Microsoft.Extensions.Logging;

namespace Medallion.Delta.Internal;

/// <summary>
/// The Delta kernel's log messages: degraded reads and the winners a transaction was rebased past (what to retry is the
/// caller's, which logs it). Event ids are 14000-14999: 10000 above Delta's write error codes (4000 range), so an event
/// id is never mistaken for an error code (0-9999) nor for another project's events.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 14001, Level = LogLevel.Warning, Message = "The _last_checkpoint hint of {Table} is unreadable ({Error}); the log is listed from its start instead")]
    public static partial void CheckpointHintUnreadable(ILogger logger, string table, string error);

    [LoggerMessage(EventId = 14002, Level = LogLevel.Warning, Message = "The _last_checkpoint hint of {Table} names version {Version}, whose checkpoint is missing or incomplete; the log is listed from its start instead")]
    public static partial void CheckpointHintStale(ILogger logger, string table, long version);

    [LoggerMessage(EventId = 14004, Level = LogLevel.Warning, Message = "The version checksum {Key} of {Table} is unreadable ({Error}); the table is loaded from its checkpoint and commits instead")]
    public static partial void ChecksumUnreadable(ILogger logger, string table, string key, string error);

    [LoggerMessage(EventId = 14003, Level = LogLevel.Debug, Message = "{Operation} on {Table} (read at version {ReadVersion}): version {Version} ({WinnerOperation}) committed first and does not conflict")]
    public static partial void RebasedPastWinner(ILogger logger, string operation, string table, long readVersion, long version, string winnerOperation);
}
