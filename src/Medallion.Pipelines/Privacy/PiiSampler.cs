using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Privacy;

/// <summary>The share of a column's sampled values that are identifiers of one kind.</summary>
/// <param name="Kind">The kind of identifier.</param>
/// <param name="Matching">How many sampled values are of that kind.</param>
/// <param name="Share">Matching over the non-null sampled values, 0 to 1.</param>
public sealed record PiiShare(PiiKind Kind, long Matching, double Share);

/// <summary>What a sample of one text column holds.</summary>
/// <param name="Column">The column.</param>
/// <param name="Sampled">Non-null values sampled.</param>
/// <param name="Shares">Kinds found in at least <see cref="PiiSampler.ReportShare"/> of the values, the largest share first.</param>
public sealed record PiiColumnSample(string Column, long Sampled, IReadOnlyList<PiiShare> Shares)
{
    /// <summary>The kind most values are, when it is at least <see cref="PiiSampler.SuggestShare"/> of them; null otherwise.</summary>
    public PiiKind? Dominant => Shares.Count > 0 && Shares[0].Share >= PiiSampler.SuggestShare ? Shares[0].Kind : null;
}

/// <summary>
/// Samples the text columns of a DuckDB relation and checks each value with <see cref="PiiDetector"/>. The sample is a
/// reservoir of at most a fixed number of rows drawn by DuckDB over the whole relation (one pass, in parallel), so a
/// scan costs one read of the text columns whatever the table's size, and memory stays bounded.
/// </summary>
public static class PiiSampler
{
    /// <summary>Rows sampled by default.</summary>
    public const int DefaultSampleRows = 10_000;

    /// <summary>The least share of values of a kind for the kind to be reported.</summary>
    public const double ReportShare = 0.2;

    /// <summary>The least share of values of a kind for a column to be taken as holding that kind (and a classification suggested).</summary>
    public const double SuggestShare = 0.5;

    /// <summary>The text columns (VARCHAR) of <paramref name="relation"/> (a table or view name, or a parenthesised query), in order.</summary>
    public static async Task<List<string>> TextColumnsAsync(DuckDbConnection connection, string relation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {relation} AS r)";
        var columns = new List<string>();
        using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.GetString(1) == "VARCHAR")
            {
                columns.Add(reader.GetString(0));
            }
        }

        return columns;
    }

    /// <summary>Samples <paramref name="columns"/> of <paramref name="relation"/> (a table name or a parenthesised query) and counts the identifiers in each.</summary>
    /// <param name="connection">The DuckDB connection the relation is visible on.</param>
    /// <param name="relation">A table or view name, or <c>(SELECT ...)</c>.</param>
    /// <param name="columns">Columns to sample; nothing is read when empty.</param>
    /// <param name="sampleRows">At most this many rows are sampled.</param>
    /// <param name="cancellationToken">Stops the sampling.</param>
    public static async Task<IReadOnlyList<PiiColumnSample>> SampleAsync(DuckDbConnection connection, string relation, IReadOnlyList<string> columns, int sampleRows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRows);
        if (columns.Count == 0)
        {
            return [];
        }

        var counts = new long[columns.Count, PiiDetector.Kinds.Count];
        var sampled = new long[columns.Count];
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT " + string.Join(", ", columns.Select(c => $"CAST({DuckDbConnection.QuoteIdentifier(c)} AS VARCHAR)"))
            + $" FROM (SELECT * FROM {relation}) AS r USING SAMPLE reservoir({sampleRows.ToString(CultureInfo.InvariantCulture)} ROWS)";
        using (DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                for (int c = 0; c < columns.Count; c++)
                {
                    if (reader.IsDBNull(c))
                    {
                        continue;
                    }

                    string value = reader.GetString(c);
                    if (value.Length == 0)
                    {
                        continue;
                    }

                    sampled[c]++;
                    for (int k = 0; k < PiiDetector.Kinds.Count; k++)
                    {
                        if (PiiDetector.Matches(PiiDetector.Kinds[k], value))
                        {
                            counts[c, k]++;
                        }
                    }
                }
            }
        }

        var samples = new List<PiiColumnSample>(columns.Count);
        for (int c = 0; c < columns.Count; c++)
        {
            var shares = new List<PiiShare>();
            for (int k = 0; k < PiiDetector.Kinds.Count; k++)
            {
                double share = sampled[c] == 0 ? 0 : (double)counts[c, k] / sampled[c];
                if (share >= ReportShare)
                {
                    shares.Add(new PiiShare(PiiDetector.Kinds[k], counts[c, k], share));
                }
            }

            // Largest share first; a tie goes to the stricter kind (the order of PiiDetector.Kinds).
            samples.Add(new PiiColumnSample(columns[c], sampled[c], [.. shares.OrderByDescending(s => s.Share)]));
        }

        return samples;
    }
}
