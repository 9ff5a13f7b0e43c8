using System;
using System.Collections.Generic;

namespace Medallion.Ingestion.Json;

/// <summary>
/// The DuckDB type a JSON field's column gets in bronze, batch after batch of one stream: types Delta lacks become
/// text, and a column keeps the type the stream first gave it when a later batch has only nulls in it (or when that
/// type is text), so the batches of one stream agree.
/// </summary>
/// <remarks>Not thread-safe; owned by one stream.</remarks>
internal sealed class JsonColumnTypes
{
    private readonly IReadOnlyDictionary<string, string> _fixedTypes;
    private readonly Dictionary<string, string> _knownTypes = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="fixedTypes">Columns whose DuckDB type is given rather than inferred (e.g. <c>_lsn</c> UBIGINT).</param>
    public JsonColumnTypes(IReadOnlyDictionary<string, string>? fixedTypes = null) =>
        _fixedTypes = fixedTypes ?? new Dictionary<string, string>();

    /// <summary>Records the type a column already has (e.g. in the target table), as if an earlier batch had given it.</summary>
    public void Remember(string name, string duckType) => _knownTypes[name] = Storable(duckType);

    /// <summary>The column type for <paramref name="name"/> when this batch's values were inferred as <paramref name="inferred"/>.</summary>
    public string TypeFor(string name, string inferred)
    {
        if (_fixedTypes.TryGetValue(name, out string? fixedType))
        {
            return fixedType;
        }

        string storable = Storable(inferred);
        if (_knownTypes.TryGetValue(name, out string? known) && (IsNullType(inferred) || known == "VARCHAR"))
        {
            return known;
        }

        _knownTypes[name] = storable;
        return storable;
    }

    private static bool IsNullType(string type) => type.ToUpperInvariant() is "NULL" or "\"NULL\"" or "JSON";

    /// <summary>Types Delta cannot store (times of day, intervals, UUIDs, JSON, all-null columns) land as text.</summary>
    private static string Storable(string type) => type.ToUpperInvariant() switch
    {
        "NULL" or "\"NULL\"" or "JSON" or "TIME" or "TIME WITH TIME ZONE" or "INTERVAL" or "UUID" or "BIT" => "VARCHAR",
        "TIMESTAMP WITH TIME ZONE" => "TIMESTAMPTZ",
        _ => type,
    };
}
