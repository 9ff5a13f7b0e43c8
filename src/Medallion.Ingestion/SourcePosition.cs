using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Medallion.Ingestion;

/// <summary>
/// Where a source stands after a batch: what the sink stores with the commit of that batch (in bronze, the
/// Delta <c>txn</c> of the same commit), and what the next run resumes from. Immutable.
/// </summary>
/// <remarks>
/// Cursor values and keys are kept as the source's own text of the value (PostgreSQL's <c>::text</c>, MySQL's
/// <c>CAST(... AS CHAR)</c>), read in UTC, so they compare and parse back exactly. <see cref="ToJson"/> and
/// <see cref="Parse"/> round-trip every field.
/// </remarks>
public sealed class SourcePosition : IEquatable<SourcePosition>
{
    private const int FormatVersion = 1;

    internal SourcePosition(IngestionMode mode, long rows, IReadOnlyList<string> cursorColumns, IReadOnlyList<string?> cursorValues, IReadOnlyList<IReadOnlyList<string?>> boundaryKeys, ulong? lsn = null, string? binlogFile = null, ulong? binlogPosition = null)
    {
        Lsn = lsn;
        BinlogFile = binlogFile;
        BinlogPosition = binlogPosition;
        Mode = mode;
        Rows = rows;
        CursorColumns = cursorColumns;
        CursorValues = cursorValues;
        BoundaryKeys = boundaryKeys;
    }

    /// <summary>The mode that produced this position; a position is only used with the same mode.</summary>
    public IngestionMode Mode { get; }

    /// <summary>Rows delivered by the run that produced this position, up to and including its batch.</summary>
    public long Rows { get; }

    /// <summary>The cursor columns the values belong to (empty for a full load).</summary>
    public IReadOnlyList<string> CursorColumns { get; }

    /// <summary>The last cursor value delivered, one text per cursor column (empty when nothing was delivered yet).</summary>
    public IReadOnlyList<string?> CursorValues { get; }

    /// <summary>The keys of the rows delivered whose cursor equals <see cref="CursorValues"/>; they are skipped on resume.</summary>
    public IReadOnlyList<IReadOnlyList<string?>> BoundaryKeys { get; }

    /// <summary>For change data capture: the end LSN of the last transaction delivered; changes up to it are never delivered again.</summary>
    public ulong? Lsn { get; }

    /// <summary>For MySQL/MariaDB change data capture: the binlog file holding <see cref="BinlogPosition"/>.</summary>
    public string? BinlogFile { get; }

    /// <summary>
    /// For MySQL/MariaDB change data capture: where the binlog continues after the last transaction delivered (the end
    /// of its commit event in <see cref="BinlogFile"/>); changes before it are never delivered again.
    /// </summary>
    public ulong? BinlogPosition { get; }

    /// <summary>True when the position carries a cursor value to resume after.</summary>
    public bool HasCursor => CursorValues.Count > 0;

    /// <summary>Serializes the position as compact JSON (UTF-8 safe, stable field order).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", FormatVersion);
            writer.WriteString("mode", ModeName(Mode));
            writer.WriteNumber("rows", Rows);
            if (Lsn is ulong lsn)
            {
                writer.WriteNumber("lsn", lsn);
            }

            if (BinlogFile is not null)
            {
                writer.WriteString("binlogFile", BinlogFile);
            }

            if (BinlogPosition is ulong binlogPosition)
            {
                writer.WriteNumber("binlogPos", binlogPosition);
            }

            WriteArray(writer, "cursorColumns", CursorColumns);
            WriteArray(writer, "cursor", CursorValues);
            writer.WriteStartArray("boundaryKeys");
            foreach (IReadOnlyList<string?> key in BoundaryKeys)
            {
                WriteArray(writer, null, key);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a position written by <see cref="ToJson"/>.</summary>
    /// <exception cref="MedallionException">The text is not a position (code <see cref="ErrorCode.SourcePositionInvalid"/>).</exception>
    public static SourcePosition Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.GetProperty("v").GetInt32() != FormatVersion)
            {
                throw new FormatException("unknown format version");
            }

            string? modeName = root.GetProperty("mode").GetString();
            IngestionMode mode = Enum.GetValues<IngestionMode>().FirstOrDefault(m => ModeName(m) == modeName, (IngestionMode)(-1));
            if (mode < 0)
            {
                throw new FormatException("unknown mode");
            }

            return new SourcePosition(
                mode,
                root.GetProperty("rows").GetInt64(),
                ReadArray(root.GetProperty("cursorColumns")).Select(c => c ?? throw new FormatException("null cursor column")).ToArray(),
                ReadArray(root.GetProperty("cursor")),
                root.GetProperty("boundaryKeys").EnumerateArray().Select(k => (IReadOnlyList<string?>)ReadArray(k)).ToArray(),
                root.TryGetProperty("lsn", out JsonElement lsn) ? lsn.GetUInt64() : null,
                root.TryGetProperty("binlogFile", out JsonElement binlogFile) ? binlogFile.GetString() : null,
                root.TryGetProperty("binlogPos", out JsonElement binlogPosition) ? binlogPosition.GetUInt64() : null);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new MedallionException(ErrorCode.SourcePositionInvalid, $"The stored source position is not valid: {e.Message}.\nHelp: the position is written by Medallion with each bronze commit; if it was edited, restore it or reload the table in full mode.", e);
        }
    }

    /// <summary>The same position after <paramref name="rows"/> rows of the run.</summary>
    internal SourcePosition WithRows(long rows) => new(Mode, rows, CursorColumns, CursorValues, BoundaryKeys, Lsn, BinlogFile, BinlogPosition);

    /// <inheritdoc/>
    public bool Equals(SourcePosition? other) => other is not null && ToJson() == other.ToJson();

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SourcePosition);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToJson());

    /// <summary>The JSON form, for logs and messages.</summary>
    public override string ToString() => ToJson();

    private static string ModeName(IngestionMode mode) => mode switch
    {
        IngestionMode.Full => "full",
        IngestionMode.Incremental => "incremental",
        _ => "cdc",
    };

    private static void WriteArray(Utf8JsonWriter writer, string? name, IEnumerable<string?> values)
    {
        if (name is null)
        {
            writer.WriteStartArray();
        }
        else
        {
            writer.WriteStartArray(name);
        }

        foreach (string? value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string?[] ReadArray(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString()).ToArray();
}
