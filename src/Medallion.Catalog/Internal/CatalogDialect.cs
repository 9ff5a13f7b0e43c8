using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Catalog.Internal;

/// <summary>
/// What differs between the SQL engines a catalog can live on: how a connection is made and prepared, how a migration
/// takes the catalog for itself, how a write asks to be durable, and how the engine's failures read as catalog errors.
/// The stores' statements keep to the SQL the engines share (see <see cref="CatalogSchema"/>), so a new engine is a new
/// dialect, not new stores.
/// </summary>
internal abstract class CatalogDialect
{
    /// <summary>Where the catalog is, as its messages name it (a file path, a server and database).</summary>
    public abstract string Location { get; }

    /// <summary>What tells two catalogs apart for the process's one writer of each (see <see cref="CatalogWriter.For"/>); its location by default.</summary>
    public virtual string WriterKey => Location;

    /// <summary>A subquery listing the text items of the JSON array parameter <paramref name="parameter"/>, one row each (for <c>IN (...)</c>).</summary>
    public abstract string JsonTextSet(string parameter);

    /// <summary>An expression that orders a table's rows as they were inserted, for a table with no column that does.</summary>
    public abstract string InsertionOrder { get; }

    /// <summary>
    /// What ends a <c>SELECT</c> of rows a writer claims, so that concurrent claimers each take other rows without waiting
    /// for each other (<c>FOR UPDATE SKIP LOCKED</c>); empty where one writer at a time already serializes the claims.
    /// </summary>
    public abstract string SkipLockedRows { get; }

    /// <summary>
    /// A statement that tells the processes listening on <paramref name="channel"/> (<see cref="ListenAsync"/>) once the
    /// write running it commits, and nothing when it rolls back; null where the engine tells no one and they poll.
    /// </summary>
    public virtual string? Notify(string channel) => null;

    /// <summary>
    /// Calls <paramref name="notified"/> each time a committed write ran <see cref="Notify"/> on <paramref name="channel"/>,
    /// from a connection of its own, until <paramref name="cancellationToken"/> is cancelled (then throws
    /// <see cref="OperationCanceledException"/>); throws the engine's error when that connection fails. Returns at once,
    /// false, where the engine tells no one.
    /// </summary>
    public virtual Task<bool> ListenAsync(string channel, Action notified, CancellationToken cancellationToken) => Task.FromResult(false);

    /// <summary>
    /// True where one statement locks only the rows it changes and commits on its own, so a statement that is a whole
    /// write, and that no other write reads to decide what it writes, need not wait for the catalog's lock (see
    /// <see cref="CatalogDatabase.ExecuteAloneAsync"/>); false where one writer at a time holds the whole catalog.
    /// </summary>
    public virtual bool CommitsLoneStatementsUnlocked => false;

    /// <summary>A new, closed connection to the catalog.</summary>
    public abstract DbConnection CreateConnection();

    /// <summary>Readies a new catalog's storage before its first migration (creating its folder, its file's modes).</summary>
    public abstract void PrepareStorage();

    /// <summary>Settings of the catalog itself that migrations rely on, applied on every open (SQLite's journal mode).</summary>
    public abstract Task ConfigureAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="createStatement"/> (a <c>CREATE ... IF NOT EXISTS</c>) so that processes opening a new catalog
    /// at once do not collide on it.
    /// </summary>
    public abstract Task CreateIfMissingAsync(DbConnection connection, string createStatement, CancellationToken cancellationToken);

    /// <summary>
    /// Begins the transaction of one migration, holding the catalog against every other writer from its start, so a second
    /// process migrating the same catalog waits and then finds the migration applied.
    /// </summary>
    public abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Begins the transaction of a batch of writes (see <see cref="CatalogWriter"/>), holding the catalog against every other
    /// process's writers from its start, as SQLite's one writer does: the stores' writes read what they then write (the
    /// next log line's number, whether the catalog has users yet) and count on no other process writing meanwhile.
    /// </summary>
    public abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>
    /// Sets how the next transaction on <paramref name="connection"/> commits: synced to stable storage before it returns
    /// (<paramref name="durable"/>), or atomically but possibly lost with the last writes of an OS crash.
    /// </summary>
    public abstract void SetDurability(DbConnection connection, bool durable);

    /// <summary>Whether <paramref name="failure"/> is the engine saying its disk is full.</summary>
    public abstract bool IsDiskFull(Exception failure);

    /// <summary>
    /// The coded error for a failure of the engine met by a read or a write (the disk, a lock held too long, a damaged
    /// catalog), or <paramref name="failure"/> itself when it is the operation's own.
    /// </summary>
    /// <param name="failure">What the read or write threw.</param>
    /// <param name="writing">True for a write: nothing of it was recorded, which the message says.</param>
    public abstract Exception Translate(Exception failure, bool writing);

    /// <summary>The error for a catalog that could not be opened or migrated, or null when <paramref name="failure"/> is not the engine's.</summary>
    public abstract MedallionException? OpenFailed(Exception failure);

    /// <summary>
    /// Begins a read-only transaction that sees one moment of the catalog throughout and takes no write lock (a dry run
    /// that counts what a write would do).
    /// </summary>
    public abstract DbTransaction BeginSnapshot(DbConnection connection);

    /// <summary>Gives the space that deleted rows held back to the disk, without holding writers for long.</summary>
    public abstract Task ReclaimSpaceAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Refreshes the statistics the engine plans queries with, after a bulk load (<see cref="CatalogCopy"/>) that left
    /// them describing empty tables.
    /// </summary>
    public abstract Task RefreshStatisticsAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>How many bytes the catalog takes on disk, or null when the engine does not tell.</summary>
    public abstract long? SizeBytes();

    /// <summary>Releases the pooled connections to the catalog.</summary>
    public abstract void ClearPool();
}
