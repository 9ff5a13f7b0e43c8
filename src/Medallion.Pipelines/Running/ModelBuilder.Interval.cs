using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Running;

internal sealed partial class ModelBuilder
{
    /// <summary>The run variable holding the start of the run's data interval (inclusive).</summary>
    internal const string IntervalStartVariable = "interval_start";

    /// <summary>The run variable holding the end of the run's data interval (exclusive).</summary>
    internal const string IntervalEndVariable = "interval_end";

    /// <summary>
    /// The data interval whose rows this build replaces: set when the model has an <see cref="ModelConfig.IntervalColumn"/>
    /// and the run carries an interval. Such a build reads its upstream whole (the interval's rows are recomputed, not
    /// only what is new), checks that every row lies in the interval, and commits the removal of the interval's old rows
    /// and the new rows together (replaceWhere), so a re-run of the interval leaves its rows counted once.
    /// </summary>
    private (DateTimeOffset Start, DateTimeOffset End)? _interval;

    private (DateTimeOffset Start, DateTimeOffset End)? ResolveInterval()
    {
        if (Config.IntervalColumn is null)
        {
            return null;
        }

        DateTimeOffset? start = IntervalBound(IntervalStartVariable);
        DateTimeOffset? end = IntervalBound(IntervalEndVariable);
        if (start is null && end is null)
        {
            return null;
        }

        if (start is null || end is null || end <= start)
        {
            throw Invalid(
                $"interval_column is set but the run's data interval is not whole ({IntervalStartVariable} = {start?.ToString("O", CultureInfo.InvariantCulture) ?? "none"}, {IntervalEndVariable} = {end?.ToString("O", CultureInfo.InvariantCulture) ?? "none"})",
                $"give both {IntervalStartVariable} and {IntervalEndVariable} as ISO 8601 times, the start before the end");
        }

        return (start.Value, end.Value);
    }

    /// <summary>A bound from the run's variables: a scheduler gives times; a person's <c>--var</c> gives ISO 8601 text (UTC unless it says otherwise).</summary>
    private DateTimeOffset? IntervalBound(string name) => _run.Options.Variables.GetValueOrDefault(name) switch
    {
        DateTimeOffset time => time,
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed) => parsed,
        null => null,
        object other => throw Invalid($"the run variable {name} is '{other}', which is not a time", "give it as an ISO 8601 time such as 2026-01-31T00:00:00Z"),
    };

    /// <summary>The DuckDB type of the interval column in the model's result (DATE, TIMESTAMP, TIMESTAMP WITH TIME ZONE, ...).</summary>
    private string? _intervalColumnType;

    /// <summary>The rows of the interval, as the table's replaceWhere predicate and as the check of the model's result.</summary>
    private string IntervalPredicate()
    {
        (DateTimeOffset start, DateTimeOffset end) = _interval!.Value;
        return $"{Q(Config.IntervalColumn!)} >= {BoundLiteral(start)} AND {Q(Config.IntervalColumn!)} < {BoundLiteral(end)}";
    }

    /// <summary>
    /// A bound as a literal of the column's own type, so the comparison does not depend on the session's time zone: a
    /// DATE column is bounded by the interval's dates and a TIMESTAMP column by its wall-clock times, both in the run's
    /// <see cref="RunOptions.TimeZone"/> (a São Paulo day is its own date, not the UTC date three hours on); any other
    /// column by the instant.
    /// </summary>
    private string BoundLiteral(DateTimeOffset instant)
    {
        DateTime local = TimeZoneInfo.ConvertTime(instant, _run.Options.TimeZone ?? TimeZoneInfo.Utc).DateTime;
        return _intervalColumnType switch
        {
            "DATE" => "DATE " + DuckDbConnection.QuoteLiteral(local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            "TIMESTAMP" => "TIMESTAMP " + DuckDbConnection.QuoteLiteral(local.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)),
            _ => Timestamp(instant),
        };
    }

    /// <summary>
    /// Refuses a result with rows outside the interval (or without a value in the interval column) before anything is
    /// written: such rows would survive the next re-run of their own interval twice. The write checks it again.
    /// </summary>
    private async Task EnsureWithinIntervalAsync(string relation, CancellationToken cancellationToken)
    {
        using (DuckDbCommand describe = _connection.CreateCommand())
        {
            describe.CommandText = $"SELECT column_type FROM (DESCRIBE SELECT {Q(Config.IntervalColumn!)} FROM {relation})";
            _intervalColumnType = Convert.ToString(await describe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        long outside = await ScalarAsync($"SELECT count(*) FROM {relation} WHERE ({IntervalPredicate()}) IS NOT TRUE", cancellationToken).ConfigureAwait(false);
        if (outside > 0)
        {
            (DateTimeOffset start, DateTimeOffset end) = _interval!.Value;
            string interval = _intervalColumnType is "DATE" or "TIMESTAMP"
                ? $"[{BoundLiteral(start)}, {BoundLiteral(end)})"
                : string.Create(CultureInfo.InvariantCulture, $"[{start.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z, {end.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z)");
            throw Invalid(
                string.Create(CultureInfo.InvariantCulture, $"{outside} row(s) have {Config.IntervalColumn} outside the run's data interval {interval} or null"),
                $"keep only the interval's rows: WHERE {Config.IntervalColumn} >= getvariable('{IntervalStartVariable}') AND {Config.IntervalColumn} < getvariable('{IntervalEndVariable}')");
        }
    }
}
