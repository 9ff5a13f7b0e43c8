using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Scanning;
using Medallion.Engine.Sessions;
using Medallion.Platform.Access;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>
    /// Quality results as <paramref name="reader"/> may see them: results of tables they may not read are left out, and a
    /// sample of failing rows is shown as their SQL would show those rows (granted columns only, masked, rows outside
    /// their row filter dropped). An observation of a table-level rule (a row count, a column's newest value) is shown to
    /// a reader who reads every row and the column it names unmasked. A sample that cannot be shown that way is withheld,
    /// with <see cref="QualityResultRecord.SampleWithheld"/> saying so.
    /// </summary>
    /// <param name="results">The results as stored.</param>
    /// <param name="reader">Who is reading.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyList<QualityResultRecord>> ShowQualityAsync(IReadOnlyList<QualityResultRecord> results, ReaderView reader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.SeesEverything)
        {
            return results;
        }

        var shown = new List<QualityResultRecord>(results.Count);
        var schemas = new Dictionary<TableName, StructType?>();
        DuckDbConnection? samples = null;
        try
        {
            foreach (QualityResultRecord result in results)
            {
                if (reader.Find(result.Model) is not { } access)
                {
                    continue;
                }

                if (IsEmptySample(result.SampleRowsJson) || reader.ReadsInFull(result.Model))
                {
                    shown.Add(result);
                    continue;
                }

                string? sample;
                if (result.FailingRows == 0)
                {
                    // Only table-level rules fail with no failing row: the sample is what was observed of the table.
                    sample = ObservationVisible(result.SampleRowsJson, access) ? result.SampleRowsJson : null;
                }
                else
                {
                    if (!schemas.TryGetValue(result.Model, out StructType? schema))
                    {
                        schema = _tables.ContainsKey(result.Model) ? (await ReadAsync(result.Model, cancellationToken).ConfigureAwait(false)).Snapshot?.Schema : null;
                        schemas[result.Model] = schema;
                    }

                    if (schema is null)
                    {
                        sample = null;
                    }
                    else
                    {
                        if (samples is null)
                        {
                            samples = _environment.Engines.OpenScratch();
                            reader.Session!.Install(samples);
                        }

                        sample = await ProjectSampleAsync(samples, result.SampleRowsJson, access, schema, cancellationToken).ConfigureAwait(false);
                    }
                }

                shown.Add(sample is null
                    ? result with { SampleRowsJson = "[]", SampleWithheld = ReaderView.WithheldSample }
                    : result with { SampleRowsJson = sample });
            }
        }
        finally
        {
            samples?.Dispose();
        }

        return shown;
    }

    /// <summary>
    /// Runs as <see cref="Reader"/> may see them: a run's error may quote values of any table its steps read or wrote, so
    /// it is shown only to a reader who reads all of them in full (<see cref="ReaderView.ShowMessage"/>).
    /// </summary>
    /// <param name="runs">The runs as stored.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyList<RunRecord>> ShowRunsAsync(IReadOnlyList<RunRecord> runs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (Reader.SeesEverything)
        {
            return runs;
        }

        var shown = new List<RunRecord>(runs.Count);
        foreach (RunRecord run in runs)
        {
            shown.Add(run.Error is null ? run : run with { Error = Reader.ShowMessage(run.Error, RunScope(await GetRunTablesAsync(run.Id, cancellationToken).ConfigureAwait(false))) });
        }

        return shown;
    }

    /// <summary>Every table a run's steps read or wrote; every table when it recorded no step (it failed while planning, and its error may quote any).</summary>
    private IReadOnlyCollection<TableName> RunScope(RunTables tables) => tables.All.Count > 0 ? tables.All : _tables.Keys;

    private static bool IsEmptySample(string json) => string.IsNullOrWhiteSpace(json) || json.Trim() == "[]";

    /// <summary>
    /// Whether a table-level rule's observation may be shown: it describes the table as a whole (its row count, its newest
    /// value), so only to a reader who reads every row, and only when the column it names is granted and unmasked.
    /// </summary>
    private static bool ObservationVisible(string json, TableAccess access)
    {
        if (access.RowFilter is not null)
        {
            return false;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            foreach (JsonElement observation in document.RootElement.EnumerateArray())
            {
                if (observation.ValueKind == JsonValueKind.Object && observation.TryGetProperty("column", out JsonElement column) && column.ValueKind == JsonValueKind.String
                    && (access.Masks.ContainsKey(column.GetString()!)
                        || (access.Columns is not null && !access.Columns.Contains(column.GetString()!, StringComparer.OrdinalIgnoreCase))))
                {
                    return false;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The sample's rows read through the same projection as the reader's view of the table (<see cref="SessionAccess.Project"/>):
    /// each row's values typed as the table's columns, so masks give what the reader's SQL gives; null when the sample is
    /// not rows of this table (it cannot then be shown safely).
    /// </summary>
    private static async Task<string?> ProjectSampleAsync(DuckDbConnection connection, string json, TableAccess access, StructType schema, CancellationToken cancellationToken)
    {
        HashSet<string> keys;
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonElement row in document.RootElement.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                foreach (JsonProperty property in row.EnumerateObject())
                {
                    keys.Add(property.Name);
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        IEnumerable<string> columns = schema.Fields.Select(field =>
        {
            string type = DeltaScanSql.TypeName(field.Type);
            string name = DuckDbConnection.QuoteIdentifier(field.Name);
            string key = DuckDbConnection.QuoteLiteral(field.Name);
            string value = !keys.Contains(field.Name) ? $"CAST(NULL AS {type})"
                : field.Type == PrimitiveType.String ? $"(__row ->> {key})"
                : $"CAST(__row -> {key} AS {type})";
            return value + " AS " + name;
        });
        string rows = $"SELECT {string.Join(", ", columns)} FROM (SELECT unnest(from_json({DuckDbConnection.QuoteLiteral(json)}, '[\"JSON\"]')) AS __row) AS __rows";
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT coalesce(CAST(to_json(list(__shown)) AS VARCHAR), '[]') FROM ({SessionAccess.Project(rows, access, schema)}) AS __shown";
        try
        {
            return (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException)
        {
            // A value that no longer fits the table's column type (its schema changed since the check), or a row filter
            // this in-memory database cannot evaluate: the sample cannot be shown as the reader's SQL would show it.
            return null;
        }
    }
}
