using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Pipelines.Alerts;

/// <summary>The <c>alerts:</c> section of <c>medallion.yml</c>: where alerts go and which conditions raise them.</summary>
/// <param name="Channels">The channels, by name.</param>
/// <param name="Rules">The rules, in file order.</param>
/// <param name="RepeatInterval">How often a firing alert is sent again at most (each rule may set its own).</param>
public sealed record AlertSettings(IReadOnlyList<AlertChannelDefinition> Channels, IReadOnlyList<AlertRuleDefinition> Rules, TimeSpan RepeatInterval)
{
    /// <summary>The default <see cref="RepeatInterval"/>: four hours, as Prometheus Alertmanager's.</summary>
    public static readonly TimeSpan DefaultRepeatInterval = TimeSpan.FromHours(4);

    /// <summary>No channels and no rules.</summary>
    public static AlertSettings None { get; } = new([], [], DefaultRepeatInterval);
}

/// <summary>A place alerts are sent to. Secrets come from <c>${ENV}</c> references and never appear in <see cref="object.ToString"/>.</summary>
/// <param name="Name">The channel's name, as rules refer to it.</param>
/// <param name="Location">Where it is declared.</param>
public abstract record AlertChannelDefinition(string Name, SourceLocation Location)
{
    /// <summary>The channel's type as written: <c>slack</c>, <c>telegram</c>, <c>email</c> or <c>webhook</c>.</summary>
    public abstract string Type { get; }

    /// <inheritdoc/>
    public sealed override string ToString() => $"{Type} channel '{Name}'";
}

/// <summary>A Slack incoming webhook.</summary>
/// <param name="Name">The channel's name.</param>
/// <param name="WebhookUrl">The webhook URL (a secret: it is the only credential).</param>
/// <param name="Location">Where it is declared.</param>
public sealed record SlackChannelDefinition(string Name, Uri WebhookUrl, SourceLocation Location) : AlertChannelDefinition(Name, Location)
{
    /// <inheritdoc/>
    public override string Type => "slack";
}

/// <summary>A Telegram chat, through the Bot API's <c>sendMessage</c>.</summary>
/// <param name="Name">The channel's name.</param>
/// <param name="BotToken">The bot's token (a secret).</param>
/// <param name="ChatId">The chat, group or channel id (or <c>@channelusername</c>).</param>
/// <param name="ApiUrl">The Bot API's base URL, <c>https://api.telegram.org</c> unless a local Bot API server is used.</param>
/// <param name="Location">Where it is declared.</param>
public sealed record TelegramChannelDefinition(string Name, string BotToken, string ChatId, Uri ApiUrl, SourceLocation Location) : AlertChannelDefinition(Name, Location)
{
    /// <summary>The Bot API's public address.</summary>
    public static readonly Uri DefaultApiUrl = new("https://api.telegram.org");

    /// <inheritdoc/>
    public override string Type => "telegram";
}

/// <summary>How an SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain connection upgraded with STARTTLS, which must be offered (port 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,

    /// <summary>No encryption: only for a relay on this machine.</summary>
    None,
}

/// <summary>E-mail over SMTP.</summary>
/// <param name="Name">The channel's name.</param>
/// <param name="Host">The SMTP server.</param>
/// <param name="Port">Its port (587 by default).</param>
/// <param name="Security">STARTTLS (default), implicit TLS or none.</param>
/// <param name="Username">The login, if the server wants one.</param>
/// <param name="Password">The password (a secret).</param>
/// <param name="From">The sender address.</param>
/// <param name="To">The recipients.</param>
/// <param name="Location">Where it is declared.</param>
public sealed record EmailChannelDefinition(string Name, string Host, int Port, SmtpSecurity Security, string? Username, string? Password, string From, IReadOnlyList<string> To, SourceLocation Location)
    : AlertChannelDefinition(Name, Location)
{
    /// <inheritdoc/>
    public override string Type => "email";

    /// <summary>Accept the server's certificate without checking it (a test server's self-signed one); never by default.</summary>
    public bool AllowInvalidCertificate { get; init; }
}

/// <summary>Any HTTP endpoint: a JSON body, signed with HMAC-SHA256 in <c>X-Medallion-Signature</c> when a secret is set.</summary>
/// <param name="Name">The channel's name.</param>
/// <param name="Url">Where the JSON is POSTed.</param>
/// <param name="Secret">The shared secret of the signature; none when null.</param>
/// <param name="Location">Where it is declared.</param>
public sealed record WebhookChannelDefinition(string Name, Uri Url, string? Secret, SourceLocation Location) : AlertChannelDefinition(Name, Location)
{
    /// <inheritdoc/>
    public override string Type => "webhook";
}

/// <summary>The conditions alert rules watch.</summary>
public enum AlertCondition
{
    /// <summary>A run ended failed after its retries; resolved by the job's next success.</summary>
    RunFailed,

    /// <summary>A quality rule of at least the rule's severity broke in the latest check of a table.</summary>
    QualityFailed,

    /// <summary>A table went longer than its <c>freshness</c> thresholds without a load.</summary>
    Freshness,

    /// <summary>A volume or freshness anomaly in a table's latest load (or a load that is late now).</summary>
    Anomaly,

    /// <summary>A table's schema changed in its latest commits (bronze tables unless the rule names others).</summary>
    SchemaChange,

    /// <summary>
    /// A CDC table fell behind its source: the replication slot's lag at the newest pass exceeds the rule's
    /// <c>max_lag</c>, or no pass has committed a source position for longer than its <c>max_age</c>.
    /// </summary>
    CdcLag,

    /// <summary>
    /// The server's SQL endpoint, or the host of a database, API or Kafka source, does not accept a connection for the
    /// rule's <c>failed_probes</c> probes in a row (one per evaluation); resolved by the next probe that connects.
    /// </summary>
    Unreachable,
}

/// <summary>One rule of <c>alerts.rules</c>.</summary>
/// <param name="Name">The rule's name (defaults to its condition).</param>
/// <param name="When">The condition.</param>
/// <param name="Channels">The channels it sends to (all when the rule names none).</param>
/// <param name="RepeatInterval">How often a firing alert is sent again at most.</param>
/// <param name="Location">Where it is declared.</param>
public sealed record AlertRuleDefinition(string Name, AlertCondition When, IReadOnlyList<string> Channels, TimeSpan RepeatInterval, SourceLocation Location)
{
    /// <summary>Only these jobs (run_failed); all when empty.</summary>
    public IReadOnlyList<string> Jobs { get; init; } = [];

    /// <summary>Only these tables, as <c>namespace.name</c> or <c>namespace.*</c>; all when empty (schema_change: <c>bronze.*</c>).</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>The least severity that counts (quality_failed: a rule of this severity or above).</summary>
    public ExpectationSeverity Severity { get; init; } = ExpectationSeverity.Fail;

    /// <summary>cdc_lag: the slot lag, in bytes of WAL, above which a table is behind (<c>max_lag</c>, default 1 GiB).</summary>
    public long MaxLagBytes { get; init; } = DefaultMaxLagBytes;

    /// <summary>cdc_lag: how long a table may go without a pass committing a source position (<c>max_age</c>, default 15 minutes).</summary>
    public TimeSpan MaxPositionAge { get; init; } = DefaultMaxPositionAge;

    /// <summary>unreachable: only these sources (database, API or Kafka, by name); all when empty. The SQL endpoint is always probed.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>unreachable: how many probes in a row must fail before the alert fires (<c>failed_probes</c>, default 2), so one lost packet is no page.</summary>
    public int FailedProbes { get; init; } = DefaultFailedProbes;

    /// <summary>The default <see cref="FailedProbes"/>.</summary>
    public const int DefaultFailedProbes = 2;

    /// <summary>The default <see cref="MaxLagBytes"/>: 1 GiB of WAL held back.</summary>
    public const long DefaultMaxLagBytes = 1L << 30;

    /// <summary>The default <see cref="MaxPositionAge"/>.</summary>
    public static readonly TimeSpan DefaultMaxPositionAge = TimeSpan.FromMinutes(15);

    /// <summary>Whether a table matches <see cref="Tables"/>.</summary>
    public bool Covers(Medallion.Catalog.TableName table)
    {
        IReadOnlyList<string> patterns = Tables.Count == 0 && When == AlertCondition.SchemaChange ? ["bronze.*"] : Tables;
        return patterns.Count == 0 || patterns.Any(p => p.EndsWith(".*", StringComparison.Ordinal)
            ? string.Equals(p[..^2], table.Namespace, StringComparison.OrdinalIgnoreCase)
            : string.Equals(p, table.ToString(), StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>
/// A table's <c>freshness: {warn_after: 2h, error_after: 6h}</c> (on a model, a file source or a database source), as
/// in dbt's source freshness: a warning once the last load is older than <see cref="WarnAfter"/>, an error once older
/// than <see cref="ErrorAfter"/>.
/// </summary>
/// <param name="WarnAfter">The age that raises a warning; null for none.</param>
/// <param name="ErrorAfter">The age that raises an error; null for none.</param>
/// <param name="Location">Where it is declared.</param>
public sealed record FreshnessPolicy(TimeSpan? WarnAfter, TimeSpan? ErrorAfter, SourceLocation Location);
