using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Catalog;

/// <summary>What the catalog remembers of one alert: whether it fires, since when, and when people were last told.</summary>
/// <param name="Key">The alert's identity: the rule and what it is about (<c>run_failed:job:nightly</c>).</param>
/// <param name="Rule">The rule's name.</param>
/// <param name="Severity">The severity it fires with (<c>warning</c>, <c>error</c>).</param>
/// <param name="Summary">What it said when last sent.</param>
/// <param name="Firing">True while the condition holds; false once it cleared.</param>
/// <param name="Since">When the condition started (or cleared, once resolved).</param>
/// <param name="LastSentAt">When a message about it was last handed to the channels; null when never.</param>
/// <param name="ResolvedAt">When it cleared; null while firing.</param>
public sealed record AlertState(string Key, string Rule, string Severity, string Summary, bool Firing, DateTimeOffset Since, DateTimeOffset? LastSentAt, DateTimeOffset? ResolvedAt);

public sealed partial class CatalogStore
{
    private const string AlertColumns = "alert_key, rule, severity, summary, firing, since, last_sent_at, resolved_at";

    /// <summary>Every alert the catalog remembers, firing or resolved.</summary>
    public Task<List<AlertState>> GetAlertStatesAsync(CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {AlertColumns} FROM alert_states ORDER BY since, alert_key",
            [],
            r => new AlertState(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0, ParseTime(r.GetString(5)),
                r.IsDBNull(6) ? null : ParseTime(r.GetString(6)), r.IsDBNull(7) ? null : ParseTime(r.GetString(7))),
            cancellationToken);

    /// <summary>Records an alert's state, replacing what was there for its key.</summary>
    public async Task SaveAlertStateAsync(AlertState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        await ExecuteAsync(
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
