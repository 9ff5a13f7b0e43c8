using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine;

namespace Medallion.Pipelines.Planning;

/// <summary>
/// A zero-copy shallow clone of a Delta table, as Delta Lake's <c>CREATE TABLE ... SHALLOW CLONE</c> makes one: the new
/// table's first commit holds the source's protocol and schema (under a table id of its own) and an <c>add</c> action for
/// each of the source's current files, named by its absolute path, so the clone reads the source's rows and no data file
/// is copied or written. Later commits to the clone write files of its own; the source is never written.
/// </summary>
internal static class ShallowClone
{
    /// <summary>
    /// Clones the table at <paramref name="source"/>, at its current version, into a new table at <paramref name="target"/>.
    /// </summary>
    /// <returns>The source version cloned, or null with the reason when the table cannot be cloned this way (a reason a plan shows).</returns>
    public static async Task<(long? Version, string? Reason)> CreateAsync(StorageResolver stores, DuckDbConnection connection, string source, string target, CancellationToken cancellationToken)
    {
        if (StorageResolver.IsUri(source))
        {
            // Files outside a table on an object store would not reach the local cache DuckDB reads from.
            return (null, "a shallow clone needs the lake on local disk");
        }

        DeltaTable from = stores.OpenTable(source, connection);
        Snapshot snapshot = await from.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (snapshot.Files.Any(f => f.Add.DeletionVector is { StorageType: not "i" }))
        {
            return (null, "its files have deletion vectors stored beside them");
        }

        DeltaTable to = stores.OpenTable(target, connection);
        var transaction = new Transaction(to, null);
        transaction.UpdateMetadata(snapshot.Metadata with { Id = Guid.NewGuid().ToString(), CreatedTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        foreach (ScanFile file in snapshot.Files)
        {
            transaction.Add(file.Add with { Path = file.ExternalPath is null ? new Uri(Path.Combine(source, file.Path)).AbsoluteUri : file.Add.Path, DataChange = true });
        }

        CommitResult committed = await transaction.CommitAsync(
            "CLONE",
            new Dictionary<string, string>
            {
                ["source"] = source,
                ["sourceVersion"] = snapshot.Version.ToString(CultureInfo.InvariantCulture),
                ["isShallow"] = "true",
            },
            new Dictionary<string, string>
            {
                ["sourceTableSize"] = Transaction.Metric(snapshot.SizeBytes),
                ["sourceNumOfFiles"] = Transaction.Metric(snapshot.Files.Count),
                ["numCopiedFiles"] = Transaction.Metric(0),
                ["copiedFilesSize"] = Transaction.Metric(0),
            },
            cancellationToken).ConfigureAwait(false);
        if (committed.Outcome != CommitOutcome.Committed)
        {
            throw new MedallionException(
                ErrorCode.DeltaConcurrentModification,
                $"The shallow clone of '{source}' into '{target}' was not committed ({committed.Outcome}): another writer created that table meanwhile.\nHelp: apply again.");
        }

        return (snapshot.Version, null);
    }
}
