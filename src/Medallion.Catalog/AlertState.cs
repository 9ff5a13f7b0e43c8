using System;

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

