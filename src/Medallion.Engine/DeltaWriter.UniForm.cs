using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Iceberg;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.Engine.Internal;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    /// <summary>
    /// Writes the Iceberg metadata (Delta UniForm) of the newest version of the table at <paramref name="path"/> unless
    /// it is already converted: the catch-up for a table whose conversion after a commit failed.
    /// </summary>
    /// <param name="path">The table's location.</param>
    /// <param name="cancellationToken">Cancels the conversion; the Delta table is never changed by it.</param>
    /// <returns>The newest Iceberg metadata file after the call, and whether this call wrote it.</returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.UniFormConfigurationInvalid"/> when the table does not enable UniForm or breaks its rules;
    /// <see cref="ErrorCode.UniFormConversionFailed"/> or a storage error when the metadata cannot be written.
    /// </exception>
    public async Task<(IcebergMetadataFile Metadata, bool Written)> ConvertToIcebergAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        if (!UniForm.IsEnabled(snapshot.Metadata.Configuration))
        {
            throw new MedallionException(ErrorCode.UniFormConfigurationInvalid,
                $"The Delta table at '{table.Location}' does not enable UniForm, so it has no Iceberg metadata to write.\nHelp: create it with {UniForm.EnabledFormatsProperty} = iceberg and {UniForm.IcebergCompatV2Property} = true.");
        }

        return await IcebergConverter.ConvertAsync(table, snapshot, Stores.ToEngineUri(table.Location), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After a commit to a UniForm table, writes its Iceberg metadata. A failure never fails the commit: it is logged,
    /// counted (<see cref="UniFormMeter"/>) and returned as a warning, and the next commit (or
    /// <see cref="ConvertToIcebergAsync"/>) converts from the newest converted version.
    /// </summary>
    private async Task<string?> ConvertAfterCommitAsync(DeltaTable table, CommitResult commit, CancellationToken cancellationToken)
    {
        if (commit.Metadata is not { } metadata || !UniForm.IsEnabled(metadata.Configuration))
        {
            return null;
        }

        try
        {
            Snapshot snapshot = commit.Snapshot is { HasFiles: true } committed && committed.Version == commit.Version
                ? committed
                : await LatestAsync(table, cancellationToken).ConfigureAwait(false);
            (IcebergMetadataFile written, bool _) = await IcebergConverter.ConvertAsync(table, snapshot, Stores.ToEngineUri(table.Location), cancellationToken).ConfigureAwait(false);
            UniFormMeter.Converted();
            LogMessages.UniFormConverted(Logger, table.Location, snapshot.Version, written.Key);
            return null;
        }
        catch (Exception e) when (e is MedallionException or OperationCanceledException)
        {
            // The commit stands whatever happens here; the Iceberg metadata stays at the last converted version.
            UniFormMeter.Failed();
            LogMessages.UniFormConversionFailed(Logger, table.Location, commit.Version, e);
            return $"Version {commit.Version} was committed, but its Iceberg metadata (UniForm) could not be written: {e.Message} The next commit converts again.";
        }
    }

    /// <summary>
    /// After the log cleanup of maintenance, expires a UniForm table's Iceberg history as far as its Delta log goes back
    /// (<see cref="IcebergExpiry"/>). A failure never fails the maintenance: it is logged and the next one tries again.
    /// </summary>
    private async Task ExpireIcebergAsync(DeltaTable table, Snapshot snapshot, CancellationToken cancellationToken)
    {
        if (!UniForm.IsEnabled(snapshot.Metadata.Configuration))
        {
            return;
        }

        try
        {
            (int snapshots, int files) = await IcebergExpiry.ExpireAsync(table.Store, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            if (snapshots + files > 0)
            {
                LogMessages.UniFormExpired(Logger, table.Location, snapshots, files);
            }
        }
        catch (Exception e) when (e is MedallionException or Avro.AvroException or System.Text.Json.JsonException or InvalidCastException or KeyNotFoundException)
        {
            LogMessages.UniFormExpiryFailed(Logger, table.Location, e);
        }
    }
}
