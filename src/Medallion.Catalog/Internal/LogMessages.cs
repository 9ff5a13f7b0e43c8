using System;
using Microsoft.Extensions.Logging;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The catalog's log messages. Event ids are 16900-16999: 10000 above the catalog's error codes (6900 range), so an
/// event id is never mistaken for an error code (0-9999) nor for another project's events.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 16901, Level = LogLevel.Warning, Message = "Catalog write {Write} to {Catalog} took {ElapsedMs} ms (queued behind other writes and the file's lock, then committed); slow catalog writes hold up runs and the scheduler")]
    public static partial void SlowWrite(ILogger logger, string write, string catalog, long elapsedMs);

    [LoggerMessage(EventId = 16902, Level = LogLevel.Warning, Message = "Listening on {Channel} of the catalog {Catalog} failed: {Error}; polling meanwhile, listening again in {RetrySeconds} s")]
    public static partial void ListenFailed(ILogger logger, string channel, string catalog, string error, long retrySeconds);
}
