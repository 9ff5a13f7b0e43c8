using System;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Internal;
using Medallion.Storage;
using Microsoft.Extensions.Logging;

namespace Medallion.Delta.Log;

/// <summary>The <c>_delta_log/_last_checkpoint</c> hint: where a recent checkpoint is.</summary>
internal sealed record LastCheckpoint(long Version, long? Size, int? Parts)
{
    public const string Key = "_delta_log/_last_checkpoint";

    /// <summary>
    /// Reads the hint, or returns <see langword="null"/> when it is missing or unreadable. The hint is only an
    /// optimisation: a corrupt one must not make the table unreadable, so replay falls back to listing (and logs it).
    /// </summary>
    public static async Task<LastCheckpoint?> TryReadAsync(IObjectStore store, ILogger logger, CancellationToken cancellationToken)
    {
        if (await store.TryReadAllAsync(Key, cancellationToken).ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            JsonElement root = doc.RootElement;
            return new LastCheckpoint(root.RequiredLong("version"), root.Long("size"), root.Int("parts"));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            LogMessages.CheckpointHintUnreadable(logger, store.Location, e.Message);
            return null;
        }
    }
}
