using System;
using Microsoft.Extensions.Logging;

namespace Medallion.Engine.Internal;

/// <summary>
/// The engine's log messages. Event ids are 12000-12999: 10000 above the engine's error codes (2000 range), so an event
/// id is never mistaken for an error code (0-9999) nor for another project's events.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 12001, Level = LogLevel.Warning, Message = "{Operation} on {Table}: version {Version} was committed by another writer first; its commits are checked and the commit is tried again as version {NextVersion} (attempt {Attempt} of {MaxAttempts})")]
    public static partial void CommitRetried(ILogger logger, string operation, string table, long version, long nextVersion, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 12002, Level = LogLevel.Information, Message = "{Operation} on {Table}: version {Version} was already committed with this work by another run; nothing was written")]
    public static partial void CommitAlreadyMade(ILogger logger, string operation, string table, long version);

    [LoggerMessage(EventId = 12003, Level = LogLevel.Warning, Message = "{Operation} on {Table} lost a race to a conflicting commit and runs again on the new version (retry {Retry} of {MaxRetries})")]
    public static partial void OperationRetried(ILogger logger, string operation, string table, int retry, int maxRetries, Exception conflict);

    [LoggerMessage(EventId = 12004, Level = LogLevel.Warning, Message = "Version {Version} of {Table} was committed, but its checkpoint could not be written")]
    public static partial void CheckpointFailed(ILogger logger, string table, long version, Exception error);

    [LoggerMessage(EventId = 12005, Level = LogLevel.Warning, Message = "Version {Version} of {Table} was committed, but its version checksum could not be written; the next append reads the commits before it instead")]
    public static partial void ChecksumFailed(ILogger logger, string table, long version, Exception error);

    [LoggerMessage(EventId = 12006, Level = LogLevel.Warning, Message = "Version {Version} of {Table} was committed, but its Iceberg metadata (UniForm) could not be written; the next commit converts again")]
    public static partial void UniFormConversionFailed(ILogger logger, string table, long version, Exception error);

    [LoggerMessage(EventId = 12007, Level = LogLevel.Debug, Message = "Version {Version} of {Table} was converted to Iceberg metadata {Metadata}")]
    public static partial void UniFormConverted(ILogger logger, string table, long version, string metadata);

    [LoggerMessage(EventId = 12020, Level = LogLevel.Information, Message = "The Iceberg history of {Table} was expired as far as its Delta log goes back: {Snapshots} snapshots expired, {Files} metadata files deleted")]
    public static partial void UniFormExpired(ILogger logger, string table, int snapshots, int files);

    [LoggerMessage(EventId = 12021, Level = LogLevel.Warning, Message = "The Iceberg history of {Table} could not be expired; the next maintenance tries again")]
    public static partial void UniFormExpiryFailed(ILogger logger, string table, Exception error);
}
