using System;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Internal;

/// <summary>
/// What a catalog operation's caller is told when SQLite refused it for a reason of the file or the machine (a full or
/// failing disk, a lock another process held too long, a damaged file): a coded error naming the catalog, not SQLite's
/// bare words, which would surface as a bug of Medallion's. Every other failure (a write's own, such as a run that does
/// not exist, or a statement's bug) passes as it is.
/// </summary>
internal static class CatalogFailure
{
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteReadOnly = 8, SqliteIoError = 10, SqliteCorrupt = 11, SqliteFull = 13, SqliteNotADatabase = 26;

    /// <summary>
    /// Whether SQLite failed for want of space: <c>SQLITE_FULL</c>, or an I/O error (it cannot grow its shared-memory or
    /// log file) while the disk holding <paramref name="path"/> has no space left.
    /// </summary>
    public static bool IsDiskFull(SqliteException exception, string path) =>
        exception.SqliteErrorCode == SqliteFull
        || (exception.SqliteErrorCode == SqliteIoError && System.IO.Path.GetDirectoryName(path) is { } folder && DiskFull.At(folder));

    /// <summary>The coded error for <paramref name="failure"/> met on the catalog at <paramref name="path"/>, or <paramref name="failure"/> itself.</summary>
    /// <param name="failure">What a read or a write of the catalog threw.</param>
    /// <param name="path">The catalog file's full path.</param>
    /// <param name="writing">True for a write: nothing of it was recorded, which the message says.</param>
    public static Exception Translate(Exception failure, string path, bool writing) => failure is not SqliteException sqlite ? failure : sqlite.SqliteErrorCode switch
    {
        SqliteIoError or SqliteFull or SqliteReadOnly => new MedallionException(
            ErrorCode.CatalogWriteFailed,
            $"Could not {(writing ? "write to" : "read")} the catalog '{path}': {(IsDiskFull(sqlite, path) ? DiskFull.Text : sqlite.Message)}.\nHelp: free space on the disk that holds it (or make it writable) and run again; {(writing ? "the write was not recorded and " : "")}the catalog is unchanged.",
            failure),
        SqliteBusy or SqliteLocked => new MedallionException(
            ErrorCode.CatalogBusy,
            $"The catalog '{path}' stayed locked by another process for longer than Medallion waits for it: {sqlite.Message}.\nHelp: another command or a tool holds it in a long transaction; run again when that ends. {(writing ? "Nothing was written." : "Nothing was read.")}",
            failure),
        SqliteCorrupt or SqliteNotADatabase => new MedallionException(
            ErrorCode.CatalogCorrupt,
            $"The catalog '{path}' is damaged or is not a Medallion catalog: {sqlite.Message}.\nHelp: restore it from a backup. The tables' data and history live in the lake, not in the catalog; the runs, users and grants recorded in it are what a backup keeps.",
            failure),
        _ => failure,
    };
}
