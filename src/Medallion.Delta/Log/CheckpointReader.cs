using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Storage;

namespace Medallion.Delta.Log;

/// <summary>
/// Streams the actions of a checkpoint: a classic or multi-part Parquet checkpoint, or a v2 checkpoint (JSON or
/// Parquet) together with the file actions of its sidecars.
/// </summary>
/// <remarks>
/// A checkpoint is read in one of two passes. <see cref="CheckpointPass.State"/> reads everything a snapshot
/// needs but the <c>remove</c> tombstones, which often outnumber the live files many times over and matter only
/// to the next checkpoint; <see cref="CheckpointPass.Tombstones"/> reads just those, when a checkpoint is written.
/// A JSON part is read whole in both passes; callers ignore what their pass does not want.
/// </remarks>
internal static class CheckpointReader
{
    public const string SidecarDirectory = "_delta_log/_sidecars/";

    private static readonly IReadOnlyList<string> s_stateColumns = [.. ActionParser.CheckpointColumns.Where(c => c != "remove")];

    public static async IAsyncEnumerable<List<DeltaAction>> ReadAsync(
        IObjectStore store, IParquetHandler? parquet, IReadOnlyList<LogFile> parts, CheckpointPass pass, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IReadOnlyList<string> partColumns = pass == CheckpointPass.State ? s_stateColumns : ["remove", "sidecar"];
        IReadOnlyList<string> sidecarColumns = pass == CheckpointPass.State ? ["add"] : ["remove"];
        var sidecars = new List<Sidecar>();
        foreach (LogFile part in parts)
        {
            if (part.IsJson)
            {
                List<DeltaAction> actions = await CommitReader.ReadAsync(store, part.Key, cancellationToken).ConfigureAwait(false);
                CollectSidecars(actions, sidecars);
                yield return actions;
            }
            else
            {
                await foreach (List<DeltaAction> batch in ReadParquetAsync(store, parquet, part.Key, partColumns, cancellationToken).ConfigureAwait(false))
                {
                    CollectSidecars(batch, sidecars);
                    yield return batch;
                }
            }
        }

        foreach (Sidecar sidecar in sidecars)
        {
            // Sidecars always live in _delta_log/_sidecars; the path is URI-encoded and usually just the file name.
            string decoded = Uri.UnescapeDataString(sidecar.Path);
            string key = SidecarDirectory + decoded[(decoded.LastIndexOf('/') + 1)..];
            await foreach (List<DeltaAction> batch in ReadParquetAsync(store, parquet, key, sidecarColumns, cancellationToken).ConfigureAwait(false))
            {
                yield return batch;
            }
        }
    }

    private static void CollectSidecars(List<DeltaAction> actions, List<Sidecar> sidecars)
    {
        foreach (DeltaAction a in actions)
        {
            if (a is Sidecar s)
            {
                sidecars.Add(s);
            }
        }
    }

    private static async IAsyncEnumerable<List<DeltaAction>> ReadParquetAsync(
        IObjectStore store, IParquetHandler? parquet, string key, IReadOnlyList<string> columns, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (parquet is null)
        {
            throw new MedallionException(ErrorCode.DeltaParquetReaderMissing,
                $"Reading the Delta table at '{store.Location}' needs the Parquet checkpoint '{key}', but no Parquet reader was configured.\nHelp: open the table through the engine, which provides one.");
        }

        const int BatchSize = 1024;
        var batch = new List<DeltaAction>(BatchSize);
        long row = 0;
        await foreach (string json in parquet.ReadRowsAsJsonAsync(store, key, columns, cancellationToken).ConfigureAwait(false))
        {
            row++;
            try
            {
                using var doc = JsonDocument.Parse(json);
                ActionParser.Parse(doc.RootElement, batch);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
            {
                throw new MedallionException(ErrorCode.DeltaCorruptLogFile,
                    $"Checkpoint file '{key}' of the Delta table at '{store.Location}' has an unreadable action in row {row}: {e.Message}", e);
            }

            if (batch.Count >= BatchSize)
            {
                yield return batch;
                batch = new List<DeltaAction>(BatchSize);
            }
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }
}

/// <summary>What a read of a checkpoint is for (see <see cref="CheckpointReader"/>).</summary>
internal enum CheckpointPass
{
    /// <summary>Protocol, metadata, live files, txns, domains and sidecars: what a snapshot is made of.</summary>
    State,

    /// <summary>Only the <c>remove</c> tombstones.</summary>
    Tombstones,
}
