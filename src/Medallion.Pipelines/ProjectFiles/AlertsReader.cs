using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Medallion.Pipelines.Alerts;
using Medallion.Storage;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>Reads <c>alerts:</c> of <c>medallion.yml</c> and the <c>freshness:</c> of tables, with errors at file:line:column.</summary>
internal static class AlertsReader
{
    private static readonly string[] s_alertKeys = ["repeat_interval", "channels", "rules"];
    private static readonly string[] s_types = ["slack", "telegram", "email", "webhook"];
    private static readonly string[] s_channelKeys = ["name", "type", "webhook_url", "bot_token", "chat_id", "api_url", "host", "port", "security", "username", "password", "from", "to", "url", "secret", "allow_invalid_certificate"];
    private static readonly Dictionary<string, string[]> s_keysByType = new(StringComparer.Ordinal)
    {
        ["slack"] = ["name", "type", "webhook_url"],
        ["telegram"] = ["name", "type", "bot_token", "chat_id", "api_url"],
        ["email"] = ["name", "type", "host", "port", "security", "username", "password", "from", "to", "allow_invalid_certificate"],
        ["webhook"] = ["name", "type", "url", "secret"],
    };

    private static readonly string[] s_ruleKeys = ["name", "when", "channels", "repeat_interval", "jobs", "tables", "severity", "max_lag", "max_age", "sources", "failed_probes"];
    private static readonly string[] s_lagKeys = ["max_lag", "max_age"];
    private static readonly string[] s_probeKeys = ["sources", "failed_probes"];
    private static readonly string[] s_conditions = ["run_failed", "quality_failed", "freshness", "anomaly", "schema_change", "cdc_lag", "unreachable"];
    private static readonly string[] s_severities = ["warn", "quarantine", "fail"];
    private static readonly string[] s_security = ["starttls", "tls", "none"];
    private static readonly string[] s_freshnessKeys = ["warn_after", "error_after"];

    /// <summary>Reads <c>alerts:</c>; <paramref name="networkSources"/> are the names an <c>unreachable</c> rule's <c>sources</c> may give.</summary>
    public static AlertSettings Read(YamlMap settings, IReadOnlyCollection<string> networkSources)
    {
        if (settings.Map("alerts", "'alerts'", s_alertKeys) is not { } alerts)
        {
            return AlertSettings.None;
        }

        YamlFile file = settings.File;
        TimeSpan repeat = alerts.Duration("repeat_interval") ?? AlertSettings.DefaultRepeatInterval;
        var channels = new List<AlertChannelDefinition>();
        foreach (YamlNode item in alerts.List("channels"))
        {
            AlertChannelDefinition channel = ReadChannel(file, item);
            if (channels.Any(c => string.Equals(c.Name, channel.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw file.Error(item, $"a second channel is named '{channel.Name}'. Expected unique channel names.");
            }

            channels.Add(channel);
        }

        var rules = new List<AlertRuleDefinition>();
        foreach (YamlNode item in alerts.List("rules"))
        {
            rules.Add(ReadRule(file, item, channels, repeat, networkSources));
        }

        if (rules.Count > 0 && channels.Count == 0)
        {
            throw file.Error(alerts.Node, "'alerts' has rules but no channels to send them to. Expected 'channels:' with at least one channel.");
        }

        return new AlertSettings(channels, rules, repeat);
    }

    /// <summary>A table's <c>freshness: {warn_after, error_after}</c>; null when absent.</summary>
    public static FreshnessPolicy? ReadFreshness(YamlMap owner)
    {
        if (owner.Map("freshness", "'freshness'", s_freshnessKeys) is not { } map)
        {
            return null;
        }

        TimeSpan? warn = map.Duration("warn_after");
        TimeSpan? error = map.Duration("error_after");
        if (warn is null && error is null)
        {
            throw map.File.Error(map.Node, "'freshness' sets no threshold. Expected 'warn_after: 2h', 'error_after: 6h' or both.");
        }

        if (warn is { } w && error is { } e && w >= e)
        {
            throw map.File.Error(map.Value("warn_after")!, $"'warn_after' ({map.String("warn_after")}) must be shorter than 'error_after' ({map.String("error_after")}): the warning comes first.");
        }

        return new FreshnessPolicy(warn, error, map.File.Location(map.Node));
    }

    private static AlertChannelDefinition ReadChannel(YamlFile file, YamlNode item)
    {
        YamlMap loose = file.Map(item, "a channel", s_channelKeys);
        string type = loose.Choice("type", s_types) ?? throw file.Error(item, "this channel has no 'type'. Expected 'type: slack', 'type: telegram', 'type: email' or 'type: webhook'.");
        YamlMap channel = file.Map(item, $"a {type} channel", s_keysByType[type]);
        string name = channel.String("name") ?? type;
        string what = $"channel '{name}'";
        SourceLocation location = file.Location(item);
        return type switch
        {
            "slack" => new SlackChannelDefinition(name, Url(channel, "webhook_url", what, "${SLACK_WEBHOOK_URL}"), location),
            "telegram" => new TelegramChannelDefinition(
                name,
                channel.RequiredString("bot_token", what, "${TELEGRAM_BOT_TOKEN}"),
                channel.RequiredString("chat_id", what, "'-1001234567890'"),
                channel.Has("api_url") ? Url(channel, "api_url", what, "https://api.telegram.org") : TelegramChannelDefinition.DefaultApiUrl,
                location),
            "email" => ReadEmail(channel, name, what, location),
            _ => new WebhookChannelDefinition(name, Url(channel, "url", what, "https://hooks.example.com/medallion"), channel.String("secret"), location),
        };
    }

    private static EmailChannelDefinition ReadEmail(YamlMap channel, string name, string what, SourceLocation location)
    {
        long port = channel.Long("port") ?? 587;
        if (port is < 1 or > 65535)
        {
            throw channel.File.Error(channel.Value("port")!, $"'port' cannot be {port}. Expected a TCP port between 1 and 65535, e.g. 587 for STARTTLS.");
        }

        IReadOnlyList<string> to = channel.Strings("to");
        if (to.Count == 0)
        {
            throw channel.File.Error(channel.Node, $"{what} has no 'to'. Expected 'to: [data-team@example.com]'.");
        }

        string? username = channel.String("username");
        string? password = channel.String("password");
        if ((username is null) != (password is null))
        {
            throw channel.File.Error(channel.Node, $"{what} has {(username is null ? "a 'password' but no 'username'" : "a 'username' but no 'password'")}. Expected both (to log in) or neither.");
        }

        return new EmailChannelDefinition(
            name,
            channel.RequiredString("host", what, "smtp.example.com"),
            (int)port,
            Enum.Parse<SmtpSecurity>(channel.Choice("security", s_security) ?? "starttls", ignoreCase: true),
            username,
            password,
            channel.RequiredString("from", what, "medallion@example.com"),
            to,
            location)
        {
            AllowInvalidCertificate = channel.Bool("allow_invalid_certificate") ?? false,
        };
    }

    private static AlertRuleDefinition ReadRule(YamlFile file, YamlNode item, List<AlertChannelDefinition> channels, TimeSpan repeat, IReadOnlyCollection<string> networkSources)
    {
        YamlMap rule = file.Map(item, "an alert rule", s_ruleKeys);
        string when = rule.Choice("when", s_conditions) ?? throw file.Error(item, $"this rule has no 'when'. Expected one of: {string.Join(", ", s_conditions)}.");
        var condition = Enum.Parse<AlertCondition>(when.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
        IReadOnlyList<string> names = rule.Strings("channels");
        List<string> known = channels.Select(c => c.Name).ToList();
        foreach (string channel in names)
        {
            if (!known.Contains(channel, StringComparer.OrdinalIgnoreCase))
            {
                throw file.Error(rule.Value("channels")!, $"no channel is named '{channel}'.{NameSuggester.DidYouMean(channel, known)} Expected one of: {string.Join(", ", known)}.");
            }
        }

        foreach (string table in rule.Strings("tables"))
        {
            int dot = table.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || dot == table.Length - 1)
            {
                throw file.Error(rule.Value("tables")!, $"'{table}' is not a table. Expected 'namespace.name' or 'namespace.*', e.g. 'bronze.*'.");
            }
        }

        if (rule.Has("severity") && condition != AlertCondition.QualityFailed)
        {
            throw file.Error(rule.Value("severity")!, "'severity' applies only to 'when: quality_failed'.");
        }

        if (rule.Has("jobs") && condition != AlertCondition.RunFailed)
        {
            throw file.Error(rule.Value("jobs")!, "'jobs' applies only to 'when: run_failed'.");
        }

        foreach (string key in s_lagKeys.Where(k => rule.Has(k) && condition != AlertCondition.CdcLag))
        {
            throw file.Error(rule.Value(key)!, $"'{key}' applies only to 'when: cdc_lag'.");
        }

        foreach (string key in s_probeKeys.Where(k => rule.Has(k) && condition != AlertCondition.Unreachable))
        {
            throw file.Error(rule.Value(key)!, $"'{key}' applies only to 'when: unreachable'.");
        }

        foreach (string source in rule.Strings("sources"))
        {
            if (!networkSources.Contains(source, StringComparer.OrdinalIgnoreCase))
            {
                throw file.Error(rule.Value("sources")!, networkSources.Count == 0
                    ? $"no source is named '{source}': the project has no database, API or Kafka source to probe."
                    : $"no database, API or Kafka source is named '{source}'.{NameSuggester.DidYouMean(source, networkSources)} Expected one of: {string.Join(", ", networkSources)}.");
            }
        }

        long failedProbes = rule.Long("failed_probes") ?? AlertRuleDefinition.DefaultFailedProbes;
        if (failedProbes is < 1 or > 100)
        {
            throw file.Error(rule.Value("failed_probes")!, $"'failed_probes' is {failedProbes}. Expected how many probes in a row must fail before the alert fires, from 1 to 100.");
        }

        return new AlertRuleDefinition(rule.String("name") ?? when, condition, names, rule.Duration("repeat_interval") ?? repeat, file.Location(item))
        {
            Jobs = rule.Strings("jobs"),
            Tables = rule.Strings("tables"),
            Severity = Enum.Parse<ExpectationSeverity>(rule.Choice("severity", s_severities) ?? "fail", ignoreCase: true),
            MaxLagBytes = rule.String("max_lag") is { } lag ? Size(file, rule, lag) : AlertRuleDefinition.DefaultMaxLagBytes,
            MaxPositionAge = rule.Duration("max_age") ?? AlertRuleDefinition.DefaultMaxPositionAge,
            Sources = rule.Strings("sources"),
            FailedProbes = (int)failedProbes,
        };
    }

    private static long Size(YamlFile file, YamlMap rule, string text)
    {
        try
        {
            return ByteSize.Parse(text, "max_lag");
        }
        catch (MedallionException)
        {
            throw file.Error(rule.Value("max_lag")!, $"'max_lag' cannot be '{text}'. Expected a size of WAL such as 512MB or 2GB.");
        }
    }

    private static Uri Url(YamlMap channel, string key, string what, string example)
    {
        string text = channel.RequiredString(key, what, example);
        return Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https"
            // The URL may hold a secret (Slack's does): the error never repeats it.
            ? url
            : throw channel.File.Error(channel.Value(key)!, $"'{key}' is not an http(s) URL. Expected '{key}: {example}'.");
    }
}
