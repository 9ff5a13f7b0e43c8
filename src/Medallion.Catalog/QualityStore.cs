using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The catalog's quality records: the result of each rule of each model in each run (what <c>medallion describe</c>,
/// the quality pages and the broken-rule alerts read), and the state of each alert (firing or resolved, when people were
/// last told). Reached through <see cref="CatalogStore.Quality"/>.
/// </summary>
public sealed class QualityStore
{
    private readonly CatalogDatabase _db;

    internal QualityStore(CatalogDatabase db) => _db = db;

    private const string QualityColumns = "run_id, model, rule, severity, passed, failing_rows, sample_rows, checked_at, not_checked, environment, location";

    /// <summary>
    /// Records (or replaces) the result of one rule on one model in a run, in its <see cref="QualityResultRecord.Environment"/>
    /// and of its <see cref="QualityResultRecord.Location"/> (the physical table the environment reads now when null).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/> for an environment no name fits.</exception>
    public Task RecordQualityResultAsync(QualityResultRecord result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        EnvironmentStore.CheckName(result.Environment);
        string model = result.Model.ToString().ToLowerInvariant();
        return _db.WriteAsync(
            (connection, transaction) => Execute(
                connection,
                transaction,
                $"""
                 INSERT INTO quality_results ({QualityColumns}) VALUES (@run, @model, @rule, @severity, @passed, @failing, @sample, @at, @notChecked, @environment, @location)
                 ON CONFLICT (run_id, model, rule) DO UPDATE SET severity = excluded.severity, passed = excluded.passed,
                     failing_rows = excluded.failing_rows, sample_rows = excluded.sample_rows, checked_at = excluded.checked_at,
                     not_checked = excluded.not_checked, environment = excluded.environment, location = excluded.location
                 """,
                [
                    ("@run", result.RunId), ("@model", model), ("@rule", result.Rule), ("@severity", result.Severity),
                    ("@passed", result.Passed ? 1 : 0), ("@failing", result.FailingRows), ("@sample", result.SampleRowsJson), ("@at", FormatTime(result.CheckedAt)),
                    ("@notChecked", result.NotChecked), ("@environment", result.Environment),
                    ("@location", result.Location ?? TableCatalog.QueryPointer(connection, transaction, model, result.Environment)),
                ]),
            cancellationToken);
    }

    /// <summary>The quality results of a run, by model and rule.</summary>
    public Task<List<QualityResultRecord>> GetQualityResultsAsync(string runId, CancellationToken cancellationToken = default) =>
        _db.QueryAsync($"SELECT {QualityColumns} FROM quality_results WHERE run_id = @run ORDER BY model, rule", [("@run", runId)], ReadQualityResult, cancellationToken);

    /// <summary>The rules of <c>prod</c> whose latest check broke (see <see cref="GetBrokenRulesAsync(DateTimeOffset, string, int, CancellationToken)"/>).</summary>
    public Task<List<BrokenQualityRule>> GetBrokenRulesAsync(DateTimeOffset since, int limit = 100, CancellationToken cancellationToken = default) =>
        GetBrokenRulesAsync(since, EnvironmentStore.Production, limit, cancellationToken);

    /// <summary>
    /// The rules whose latest check broke, checked since <paramref name="since"/>, on the tables <paramref name="environment"/>
    /// reads: one each, with the check that broke it first after its last pass (when it has been broken since), newest check
    /// first, at most <paramref name="limit"/>. Runs that did not check a rule (no new rows) neither end nor extend its breakage.
    /// </summary>
    public Task<List<BrokenQualityRule>> GetBrokenRulesAsync(DateTimeOffset since, string environment, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"""
             SELECT {QualityColumns},
                 (SELECT MIN(b.checked_at) FROM quality_results b
                  WHERE b.model = l.model AND b.location = l.location AND b.rule = l.rule AND b.not_checked IS NULL
                    AND b.checked_at > COALESCE((SELECT MAX(p.checked_at) FROM quality_results p WHERE p.model = l.model AND p.location = l.location AND p.rule = l.rule AND p.passed = 1), ''))
             FROM quality_results l
             WHERE passed = 0 AND not_checked IS NULL AND checked_at >= @since AND location = {EnvironmentStore.PointerSql("l.model", "@environment")}
               AND checked_at = (SELECT MAX(m.checked_at) FROM quality_results m WHERE m.model = l.model AND m.location = l.location AND m.rule = l.rule AND m.not_checked IS NULL)
             ORDER BY checked_at DESC, model, rule LIMIT @limit
             """,
            [("@since", FormatTime(since)), ("@limit", limit), ("@environment", environment)],
            r => new BrokenQualityRule(ReadQualityResult(r), ParseTime(r.GetString(11))),
            cancellationToken);
    }

    /// <summary>The latest result of each rule of a model in <c>prod</c> (what <c>medallion describe</c> shows).</summary>
    public Task<List<QualityResultRecord>> GetLatestQualityResultsAsync(TableName model, CancellationToken cancellationToken = default) =>
        GetLatestQualityResultsAsync(model, EnvironmentStore.Production, cancellationToken);

    /// <summary>
    /// The latest result of each rule of a model in <paramref name="environment"/>: of the physical table it reads (prod's for a
    /// model it did not build), so a dev build's results are never taken for prod's, and a promotion makes them prod's.
    /// </summary>
    public Task<List<QualityResultRecord>> GetLatestQualityResultsAsync(TableName model, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"""
             SELECT {QualityColumns} FROM quality_results q
             WHERE model = @model AND location = {EnvironmentStore.PointerSql("@model", "@environment")}
               AND checked_at = (SELECT MAX(checked_at) FROM quality_results l WHERE l.model = q.model AND l.location = q.location AND l.rule = q.rule)
             ORDER BY rule
             """,
            [("@model", model.ToString().ToLowerInvariant()), ("@environment", environment)],
            ReadQualityResult,
            cancellationToken);
    }

    /// <summary>The results of a model's rules in <c>prod</c>, newest check first, at most <paramref name="limit"/> (its quality history).</summary>
    public Task<List<QualityResultRecord>> GetQualityHistoryAsync(TableName model, int limit, CancellationToken cancellationToken = default) =>
        GetQualityHistoryAsync(model, limit, EnvironmentStore.Production, cancellationToken);

    /// <summary>The results of a model's rules on the physical table <paramref name="environment"/> reads, newest check first, at most <paramref name="limit"/>.</summary>
    public Task<List<QualityResultRecord>> GetQualityHistoryAsync(TableName model, int limit, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"SELECT {QualityColumns} FROM quality_results WHERE model = @model AND location = {EnvironmentStore.PointerSql("@model", "@environment")} ORDER BY checked_at DESC, rule LIMIT @limit",
            [("@model", model.ToString().ToLowerInvariant()), ("@limit", limit), ("@environment", environment)],
            ReadQualityResult,
            cancellationToken);
    }

    private static QualityResultRecord ReadQualityResult(DbDataReader r) => new(
        r.GetString(0),
        TableName.Parse(r.GetString(1)),
        r.GetString(2),
        r.GetString(3),
        r.GetInt64(4) != 0,
        r.GetInt64(5),
        r.GetString(6),
        ParseTime(r.GetString(7)))
    {
        NotChecked = GetNullableString(r, 8),
        Environment = r.GetString(9),
        Location = r.GetString(10) is { Length: > 0 } location ? location : null,
    };

    private const string AlertColumns = "alert_key, rule, severity, summary, firing, since, last_sent_at, resolved_at";

    /// <summary>Every alert the catalog remembers, firing or resolved.</summary>
    public Task<List<AlertState>> GetAlertStatesAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            $"SELECT {AlertColumns} FROM alert_states ORDER BY since, alert_key",
            [],
            r => new AlertState(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0, ParseTime(r.GetString(5)),
                r.IsDBNull(6) ? null : ParseTime(r.GetString(6)), r.IsDBNull(7) ? null : ParseTime(r.GetString(7))),
            cancellationToken);

    /// <summary>Records an alert's state, replacing what was there for its key.</summary>
    public async Task SaveAlertStateAsync(AlertState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        await _db.ExecuteAsync(
            $"INSERT INTO alert_states ({AlertColumns}) VALUES (@key, @rule, @severity, @summary, @firing, @since, @sent, @resolved) "
            + "ON CONFLICT (alert_key) DO UPDATE SET rule = excluded.rule, severity = excluded.severity, summary = excluded.summary, firing = excluded.firing, "
            + "since = excluded.since, last_sent_at = excluded.last_sent_at, resolved_at = excluded.resolved_at",
            [
                ("@key", state.Key), ("@rule", state.Rule), ("@severity", state.Severity), ("@summary", state.Summary), ("@firing", state.Firing ? 1 : 0),
                ("@since", FormatTime(state.Since)), ("@sent", state.LastSentAt is { } s ? FormatTime(s) : null), ("@resolved", state.ResolvedAt is { } r ? FormatTime(r) : null),
            ],
            cancellationToken).ConfigureAwait(false);
    }
}
