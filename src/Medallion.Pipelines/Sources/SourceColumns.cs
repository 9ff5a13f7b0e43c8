using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;

namespace Medallion.Pipelines.Sources;

/// <summary>A column of a file as DuckDB's reader sees it.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Type">Its DuckDB type.</param>
/// <param name="TableType">The target table's type of the column, when the table has it: files' values are converted to it by the write rule.</param>
internal sealed record FileColumn(string Name, string Type, DeltaType? TableType = null);

/// <summary>
/// The bronze columns of one load: the union of the files' columns (by name, ignoring case, first spelling wins) with
/// one type each. Within a load, numbers widen to the widest and any other disagreement becomes text, which loses
/// nothing. Against the table, a column keeps the table's type when the file's values fit it (anything into text, else
/// the store-assignment rule every write applies, <see cref="DeltaStoreAssignment"/>: a narrower number, a wider
/// decimal, a date or a timestamp without zone into a timestamp read as UTC); otherwise the load fails naming the
/// file, the column and both types.
/// </summary>
internal static class SourceColumns
{
    public static async Task<List<FileColumn>> DescribeAsync(DuckDbConnection connection, string selectSql, CancellationToken cancellationToken)
    {
        var columns = new List<FileColumn>();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE {selectSql})";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add(new FileColumn(reader.GetString(0), Storable(reader.GetString(1))));
            }
        }

        return columns;
    }

    /// <summary>
    /// A type Delta can store for a sniffed type, without losing a value: unsigned integers widen to the next signed type
    /// (an unsigned 64-bit one to DECIMAL(20,0), which holds all 20 digits); times of day, intervals, JSON and integers
    /// beyond 38 digits are kept as text.
    /// </summary>
    internal static string Storable(string duckType) => duckType.ToUpperInvariant() switch
    {
        "TIME" or "TIME WITH TIME ZONE" or "INTERVAL" or "JSON" or "UUID" or "BIT" or "HUGEINT" or "UHUGEINT" or "VARINT" or "BIGNUM" => "VARCHAR",
        "UBIGINT" => "DECIMAL(20,0)",
        "\"NULL\"" or "NULL" => "VARCHAR",
        "UINTEGER" => "BIGINT",
        "USMALLINT" => "INTEGER",
        "UTINYINT" => "SMALLINT",
        "TIMESTAMP WITH TIME ZONE" => "TIMESTAMPTZ",
        _ => duckType,
    };

    public static List<FileColumn> Unify(IReadOnlyList<(SourceFile File, List<FileColumn> Columns)> files, Snapshot? snapshot, SourceDefinition source)
    {
        var unified = new List<FileColumn>();
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach ((_, List<FileColumn> columns) in files)
        {
            foreach (FileColumn c in columns)
            {
                if (index.TryGetValue(c.Name, out int i))
                {
                    unified[i] = unified[i] with { Type = Merge(unified[i].Type, c.Type) };
                }
                else
                {
                    index[c.Name] = unified.Count;
                    unified.Add(c);
                }
            }
        }

        if (snapshot is null)
        {
            return unified;
        }

        for (int i = 0; i < unified.Count; i++)
        {
            if (snapshot.Schema.Find(unified[i].Name) is not { } field || TableType(field.Type) is not { } tableType)
            {
                continue;
            }

            if (string.Equals(tableType, "VARCHAR", StringComparison.Ordinal) || Fits(unified[i].Type, field.Type, tableType))
            {
                unified[i] = unified[i] with { Type = tableType, TableType = field.Type };
                continue;
            }

            foreach ((SourceFile file, List<FileColumn> columns) in files)
            {
                foreach (FileColumn c in columns)
                {
                    if (string.Equals(c.Name, unified[i].Name, StringComparison.OrdinalIgnoreCase) && !Fits(c.Type, field.Type, tableType))
                    {
                        throw new MedallionException(ErrorCode.SourceSchemaIncompatible,
                            $"Source '{source.Name}': column '{c.Name}' of '{file.Relative}' is {c.Type}, but {source.Target} has it as {tableType} (loaded from earlier files); {c.Type} values do not fit {tableType}.\n"
                            + $"Help: read the column with the table's type (options: types: \"{{'{c.Name}': '{tableType}'}}\"; values that do not fit are kept as rejected rows), or rebuild the table so it starts with the new type.");
                    }
                }
            }

            // Each file's values fit although their union did not (a date in one, a timestamp in another): each is converted on its own.
            unified[i] = unified[i] with { Type = tableType, TableType = field.Type };
        }

        return unified;
    }

    /// <summary>
    /// The columns of one file whose inferred type does not fit the table's (a date column with one value that is not a
    /// date, which the sniffer reads as text), with the table's type as DuckDB spells it: read with these types, the values
    /// that do not fit are the file's rejected rows instead of failing the whole file. Empty when the table does not exist.
    /// </summary>
    public static List<(string Name, string Type)> Misfits(IReadOnlyList<FileColumn> columns, Snapshot? snapshot)
    {
        var misfits = new List<(string Name, string Type)>();
        foreach (FileColumn c in columns)
        {
            if (snapshot?.Schema.Find(c.Name) is { } field && TableType(field.Type) is { } tableType
                && !string.Equals(tableType, "VARCHAR", StringComparison.Ordinal) && !Fits(c.Type, field.Type, tableType))
            {
                misfits.Add((c.Name, tableType));
            }
        }

        return misfits;
    }

    /// <summary>
    /// The columns new to the table that the reader's sniffer typed as text although all but a few of their values are of
    /// one stricter type (a date column with one value that is not a date), with that type: read with it, those few values
    /// are the file's rejected rows, kept with their line, as for a column the table already types (<see cref="Misfits"/>).
    /// Decided on the rows the sniffer looked at (<paramref name="sampleSql"/>): at most 1% of a column's values, and at
    /// least one, may not fit, and at least <see cref="MinTypedValues"/> must. The types tried, in order: BIGINT, DOUBLE,
    /// DATE (no value with a time of day), TIMESTAMP, BOOLEAN.
    /// </summary>
    /// <param name="connection">Where to read the sample.</param>
    /// <param name="sampleSql">A query of the file's first rows, as read with the sniffed types.</param>
    /// <param name="columns">The file's columns as sniffed.</param>
    /// <param name="snapshot">The table, when it exists: its columns keep their own type.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<List<(string Name, string Type)>> MostlyOfOneTypeAsync(
        DuckDbConnection connection, string sampleSql, IReadOnlyList<FileColumn> columns, Snapshot? snapshot, CancellationToken cancellationToken)
    {
        var text = new List<FileColumn>();
        foreach (FileColumn c in columns)
        {
            if (string.Equals(c.Type, "VARCHAR", StringComparison.Ordinal) && snapshot?.Schema.Find(c.Name) is null)
            {
                text.Add(c);
            }
        }

        if (text.Count == 0)
        {
            return [];
        }

        var counts = new List<string>();
        foreach (FileColumn c in text)
        {
            string value = DuckDbConnection.QuoteIdentifier(c.Name);
            counts.Add($"count({value})");
            foreach (string type in s_strictTypes)
            {
                counts.Add($"count(TRY_CAST({value} AS {type}))");
            }

            counts.Add($"count(*) FILTER (WHERE CAST(TRY_CAST({value} AS TIMESTAMP) AS TIME) <> TIME '00:00:00')");
        }

        var found = new List<(string Name, string Type)>();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", counts)} FROM ({sampleSql}) AS __sample";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            int stride = s_strictTypes.Length + 2;
            for (int i = 0; i < text.Count; i++)
            {
                long values = reader.GetInt64(i * stride);
                long allowed = Math.Max(1, values / 100);
                bool timeOfDay = reader.GetInt64(i * stride + stride - 1) > 0;
                for (int t = 0; t < s_strictTypes.Length; t++)
                {
                    long fit = reader.GetInt64(i * stride + 1 + t), misfits = values - fit;
                    bool keepsTime = s_strictTypes[t] != "DATE" || !timeOfDay;
                    // Every value fitting is no case of a stray value: the sniffer read the column as text for a reason of its own.
                    if (fit >= MinTypedValues && misfits >= 1 && misfits <= allowed && keepsTime)
                    {
                        found.Add((text[i].Name, s_strictTypes[t]));
                        break;
                    }
                }
            }
        }

        return found;
    }

    /// <summary>How many values of a text column must be of one stricter type before <see cref="MostlyOfOneTypeAsync"/> types it so.</summary>
    public const int MinTypedValues = 20;

    private static readonly string[] s_strictTypes = ["BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN"];

    /// <summary>The projection of one file's columns onto the unified columns: casts, and typed nulls for columns the file lacks.</summary>
    public static string Project(IReadOnlyList<FileColumn> unified, IReadOnlyList<FileColumn> fileColumns, string alias)
    {
        var sql = new StringBuilder();
        foreach (FileColumn u in unified)
        {
            FileColumn? own = null;
            foreach (FileColumn c in fileColumns)
            {
                if (string.Equals(c.Name, u.Name, StringComparison.OrdinalIgnoreCase))
                {
                    own = c;
                    break;
                }
            }

            string value = own is null ? "NULL" : alias + "." + DuckDbConnection.QuoteIdentifier(own.Name);
            string converted = own is not null && u.TableType is { } tableType && !string.Equals(own.Type, u.Type, StringComparison.OrdinalIgnoreCase) && !string.Equals(u.Type, "VARCHAR", StringComparison.Ordinal)
                ? DeltaStoreAssignment.Convert(value, own.Type, tableType)
                : $"CAST({value} AS {u.Type})";
            sql.Append(converted).Append(" AS ").Append(DuckDbConnection.QuoteIdentifier(u.Name)).Append(", ");
        }

        return sql.ToString();
    }

    private static int? NumericRank(string type) => type.ToUpperInvariant() switch
    {
        "TINYINT" => 1,
        "SMALLINT" => 2,
        "INTEGER" => 3,
        "BIGINT" => 4,
        "FLOAT" => 5,
        "DOUBLE" => 6,
        _ => null,
    };

    private static string Merge(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
        {
            return a;
        }

        return NumericRank(a) is int ra && NumericRank(b) is int rb ? (ra >= rb ? a : b) : "VARCHAR";
    }

    private static bool Fits(string fileType, DeltaType column, string tableType) =>
        string.Equals(fileType, tableType, StringComparison.OrdinalIgnoreCase) || DeltaStoreAssignment.Takes(column, fileType);

    /// <summary>The table column's type as DuckDB spells it in DESCRIBE; null for nested types and types DuckDB has no equivalent for (the writer checks those).</summary>
    private static string? TableType(DeltaType type)
    {
        if (type is StructType or ArrayType or MapType)
        {
            // DESCRIBE and the writer spell nested types differently; the writer checks them itself.
            return null;
        }

        try
        {
            return Storable(DuckDbTypes.ToDuckDb(type));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
