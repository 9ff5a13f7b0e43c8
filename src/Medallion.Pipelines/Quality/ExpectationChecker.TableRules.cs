using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Quality;

public static partial class ExpectationChecker
{
    private static readonly string[] s_timestampTypes =
        ["DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE"];

    /// <summary>Checks a rule that holds or breaks for the relation as a whole; the sample is what was observed.</summary>
    private static Task<ExpectationResult> CheckTableAsync(CheckContext context, Expectation rule, DateTimeOffset now, CancellationToken cancellationToken) => rule.Kind switch
    {
        ExpectationKind.RowCount => CheckRowCountAsync(context, rule, cancellationToken),
        ExpectationKind.Freshness => CheckFreshnessAsync(context, rule, now, cancellationToken),
        ExpectationKind.Schema => CheckSchemaAsync(context, rule, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Kind, "Not a table-level rule."),
    };

    private static async Task<ExpectationResult> CheckRowCountAsync(CheckContext context, Expectation rule, CancellationToken cancellationToken)
    {
        long rows = Convert.ToInt64(await context.ScalarAsync($"SELECT count(*) FROM {context.Relation}", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        long? min = rule.Min is null ? null : long.Parse(rule.Min, CultureInfo.InvariantCulture);
        long? max = rule.Max is null ? null : long.Parse(rule.Max, CultureInfo.InvariantCulture);
        bool passed = (min is null || rows >= min) && (max is null || rows <= max);
        return new ExpectationResult(rule, passed, 0, passed ? "[]" : Observation(json =>
        {
            json.WriteNumber("row_count", rows);
            WriteNumberOrNull(json, "min", min);
            WriteNumberOrNull(json, "max", max);
        }));
    }

    private static async Task<ExpectationResult> CheckFreshnessAsync(CheckContext context, Expectation rule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        RelationColumn column = context.Column(rule, rule.Columns[0]);
        if (Array.IndexOf(s_timestampTypes, column.Type.ToUpperInvariant()) < 0)
        {
            throw context.Error(rule, ErrorCode.QualityRuleInvalid, $"column '{column.Name}' is {column.Type}, and freshness needs a DATE or TIMESTAMP column.",
                "point the rule at a load or event time column, or cast the column in the model's SELECT.");
        }

        // A TIMESTAMP without zone (and a DATE, as its midnight) is read as UTC, so the result does not depend on the
        // machine's time zone; a TIMESTAMPTZ is an instant already.
        string newest = column.Type.Equals("TIMESTAMP WITH TIME ZONE", StringComparison.OrdinalIgnoreCase)
            ? $"max({column.Quoted})"
            : $"CAST(max({column.Quoted}) AS TIMESTAMP)";
        object? micros = await context.ScalarAsync($"SELECT epoch_us({newest}) FROM {context.Relation}", cancellationToken).ConfigureAwait(false);
        DateTimeOffset? newestAt = micros is null ? null : DateTimeOffset.UnixEpoch.AddTicks(Convert.ToInt64(micros, CultureInfo.InvariantCulture) * 10);
        TimeSpan maxAge = rule.MaxAge!.Value;
        bool passed = newestAt is { } at && now - at <= maxAge;
        return new ExpectationResult(rule, passed, 0, passed ? "[]" : Observation(json =>
        {
            json.WriteString("column", column.Name);
            if (newestAt is { } at)
            {
                json.WriteString("newest", at.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture));
                json.WriteNumber("age_seconds", (long)(now - at).TotalSeconds);
            }
            else
            {
                json.WriteNull("newest");
                json.WriteNull("age_seconds");
            }

            json.WriteNumber("max_age_seconds", (long)maxAge.TotalSeconds);
            json.WriteString("checked_at", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture));
        }));
    }

    private static async Task<ExpectationResult> CheckSchemaAsync(CheckContext context, Expectation rule, CancellationToken cancellationToken)
    {
        var mismatches = new List<(string Column, string Expected, string? Actual)>();
        foreach ((string name, string type) in rule.SchemaColumns!)
        {
            RelationColumn? actual = CheckContext.Find(context.Columns, name);
            string expected = type.Length == 0 ? string.Empty : await CanonicalTypeAsync(context, rule, name, type, cancellationToken).ConfigureAwait(false);
            if (actual is null || (expected.Length > 0 && !string.Equals(expected, actual.Type, StringComparison.OrdinalIgnoreCase)))
            {
                mismatches.Add((name, expected.Length == 0 ? "any" : expected, actual?.Type));
            }
        }

        return new ExpectationResult(rule, mismatches.Count == 0, 0, mismatches.Count == 0 ? "[]" : Observations(mismatches, (json, m) =>
        {
            json.WriteString("column", m.Column);
            json.WriteString("expected", m.Expected);
            if (m.Actual is null)
            {
                json.WriteNull("actual");
            }
            else
            {
                json.WriteString("actual", m.Actual);
            }
        }));
    }

    /// <summary>DuckDB's own name for a type as the user wrote it (<c>INT</c> → <c>INTEGER</c>, <c>TEXT</c> → <c>VARCHAR</c>).</summary>
    private static async Task<string> CanonicalTypeAsync(CheckContext context, Expectation rule, string column, string type, CancellationToken cancellationToken)
    {
        (string? canonical, DuckDbException? error) = await DeclaredType.CanonicalAsync(context.Connection, type, cancellationToken).ConfigureAwait(false);
        return canonical ?? throw InvalidType(context, rule, column, type, error);
    }

    private static MedallionException InvalidType(CheckContext context, Expectation rule, string column, string type, Exception? inner) =>
        context.Error(rule, ErrorCode.QualityRuleInvalid, $"'{type}' (expected for column '{column}') is not a DuckDB type.",
            "write a DuckDB type such as BIGINT, VARCHAR, DECIMAL(18,2), DATE or TIMESTAMP WITH TIME ZONE, or leave it empty to accept any type.", inner);

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Observation(Action<Utf8JsonWriter> write) => Observations([0], (json, _) => write(json));

    private static string Observations<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (T item in items)
            {
                json.WriteStartObject();
                write(json, item);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
