using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Actions;
using Medallion.Delta.Internal;
using Medallion.Delta.Transactions;

namespace Medallion.Delta.Snapshots;

/// <summary>
/// A version checksum, <c>_delta_log/&lt;version&gt;.crc</c> (PROTOCOL.md "Version Checksum File"): the state of the table
/// right after one commit, less its file list. What a writer that only appends needs of the table (protocol, metadata,
/// application and domain versions) is here in one object, instead of in a checkpoint and the commits after it.
/// </summary>
/// <param name="TableSizeBytes">The sum of the sizes of the live files.</param>
/// <param name="NumFiles">How many files are live.</param>
/// <param name="Protocol">The protocol at this version.</param>
/// <param name="Metadata">The metadata at this version.</param>
/// <param name="Transactions">The live <c>txn</c> versions by application id.</param>
/// <param name="Domains">The configuration of each live metadata domain by name.</param>
/// <param name="InCommitTimestamp">The version's in-commit timestamp; present exactly when the table enables them.</param>
/// <param name="TxnId">The <c>txnId</c> of the commit that made the version, when it recorded one.</param>
internal sealed record VersionChecksum(
    long TableSizeBytes,
    long NumFiles,
    Protocol Protocol,
    Metadata Metadata,
    IReadOnlyDictionary<string, long> Transactions,
    IReadOnlyDictionary<string, string> Domains,
    long? InCommitTimestamp,
    string? TxnId)
{
    /// <summary>The checksum's key for <paramref name="version"/>.</summary>
    public static string Key(long version) => Log.LogFile.LogDirectory + version.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".crc";

    /// <summary>
    /// Parses a checksum. Returns null when it leaves out <c>setTransactions</c> or <c>domainMetadata</c> (both optional in
    /// the protocol, and some writers omit them): without them it cannot say that an application version is not committed.
    /// </summary>
    /// <exception cref="FormatException">The file is not a checksum (malformed JSON, a required field missing).</exception>
    public static VersionChecksum? Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            using JsonDocument doc = JsonDocument.ParseValue(ref reader);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the file is not a JSON object");
            }

            if (!root.TryGet("setTransactions", out JsonElement txns) || txns.ValueKind != JsonValueKind.Array
                || !root.TryGet("domainMetadata", out JsonElement domains) || domains.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var transactions = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (JsonElement t in txns.EnumerateArray())
            {
                Txn txn = Txn.Parse(t);
                transactions[txn.AppId] = txn.Version;
            }

            var live = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonElement d in domains.EnumerateArray())
            {
                DomainMetadata domain = DomainMetadata.Parse(d);
                if (!domain.Removed)
                {
                    live[domain.Domain] = domain.Configuration;
                }
            }

            return new VersionChecksum(
                root.RequiredLong("tableSizeBytes"),
                root.RequiredLong("numFiles"),
                Protocol.Parse(root.TryGet("protocol", out JsonElement p) ? p : throw new FormatException("required field 'protocol' is missing")),
                Metadata.Parse(root.TryGet("metadata", out JsonElement m) ? m : throw new FormatException("required field 'metadata' is missing")),
                transactions,
                live,
                root.Long("inCommitTimestampOpt"),
                root.String("txnId"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or OverflowException)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>The checksum as the one JSON object of its file, with every optional field the next reader needs.</summary>
    public byte[] Serialize()
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(buffer, ActionSerializer.WriterOptions))
        {
            w.WriteStartObject();
            if (TxnId is not null)
            {
                w.WriteString("txnId", TxnId);
            }

            w.WriteNumber("tableSizeBytes", TableSizeBytes);
            w.WriteNumber("numFiles", NumFiles);
            w.WriteNumber("numMetadata", 1);
            w.WriteNumber("numProtocol", 1);
            if (InCommitTimestamp is long ict)
            {
                w.WriteNumber("inCommitTimestampOpt", ict);
            }

            w.WriteStartArray("setTransactions");
            foreach ((string appId, long version) in Transactions)
            {
                w.WriteStartObject();
                w.WriteString("appId", appId);
                w.WriteNumber("version", version);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("domainMetadata");
            foreach ((string domain, string configuration) in Domains)
            {
                w.WriteStartObject();
                w.WriteString("domain", domain);
                w.WriteString("configuration", configuration);
                w.WriteBoolean("removed", false);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WritePropertyName("metadata");
            ActionSerializer.WriteMetadata(w, Metadata);
            w.WritePropertyName("protocol");
            ActionSerializer.WriteProtocol(w, Protocol);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
