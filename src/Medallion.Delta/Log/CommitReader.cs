using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Storage;

namespace Medallion.Delta.Log;

/// <summary>Reads newline-delimited JSON log files (commits and JSON checkpoints) into actions.</summary>
internal static class CommitReader
{
    /// <summary>How many log files <see cref="ReadInOrderAsync"/> has in flight at once.</summary>
    private const int ReadAhead = 8;

    /// <summary>
    /// Reads <paramref name="files"/> and yields their actions in the order given, reading up to eight files ahead: on an
    /// object store each file is a request, so a replay of many commits waits for about one request per eight commits
    /// instead of one per commit. Stopping early cancels the reads still in flight.
    /// </summary>
    public static async IAsyncEnumerable<List<DeltaAction>> ReadInOrderAsync(IObjectStore store, IReadOnlyList<LogFile> files, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new Queue<Task<List<DeltaAction>>>();
        int next = 0;
        try
        {
            while (next < files.Count || inFlight.Count > 0)
            {
                while (inFlight.Count < ReadAhead && next < files.Count)
                {
                    inFlight.Enqueue(ReadAsync(store, files[next++].Key, stop.Token));
                }

                yield return await inFlight.Dequeue().ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (Task<List<DeltaAction>> abandoned in inFlight)
            {
                try
                {
                    await abandoned.ConfigureAwait(false);
                }
                catch (Exception e) when (e is MedallionException or OperationCanceledException)
                {
                    // The caller stopped reading (or failed on an earlier file); what a file it no longer wants says is moot.
                }
            }
        }
    }

    public static async Task<List<DeltaAction>> ReadAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await store.ReadAllAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.StorageObjectNotFound)
        {
            throw new MedallionException(ErrorCode.DeltaLogGap,
                $"Log file '{key}' of the Delta table at '{store.Location}' disappeared while reading it.\nHelp: a cleanup ran concurrently; retry the read.", e,
                isTransient: true); // A gap is damage, except this one: a cleanup removed the file while it was read.
        }

        return Parse(bytes, key, store.Location);
    }

    internal static List<DeltaAction> Parse(ReadOnlySpan<byte> bytes, string key, string location)
    {
        var actions = new List<DeltaAction>();
        int lineNumber = 0;
        while (!bytes.IsEmpty)
        {
            lineNumber++;
            int end = bytes.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            try
            {
                var reader = new Utf8JsonReader(line);
                using JsonDocument doc = JsonDocument.ParseValue(ref reader);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException("the line is not a JSON object");
                }

                ActionParser.Parse(doc.RootElement, actions);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
            {
                throw new MedallionException(ErrorCode.DeltaCorruptLogFile,
                    $"Log file '{key}' of the Delta table at '{location}' is corrupt at line {lineNumber}: {e.Message}\nHelp: the file was damaged or written by a broken writer; restore it from a backup.", e);
            }
        }

        return actions;
    }
}
