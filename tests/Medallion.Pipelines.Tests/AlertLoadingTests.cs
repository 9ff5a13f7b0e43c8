using Medallion.Catalog;
using Medallion.Pipelines.Alerts;

namespace Medallion.Pipelines.Tests;

/// <summary>The <c>alerts:</c> section of medallion.yml and the tables' <c>freshness:</c>, read with errors at file:line:column.</summary>
public sealed class AlertLoadingTests
{
    private const string Channels = """
        alerts:
          repeat_interval: 2h
          channels:
            - name: team
              type: slack
              webhook_url: ${SLACK_URL}
            - name: oncall
              type: telegram
              bot_token: ${TG_TOKEN}
              chat_id: "-100200"
            - name: mail
              type: email
              host: smtp.example.com
              username: alerts
              password: ${SMTP_PASSWORD}
              from: medallion@example.com
              to: [data@example.com]
            - name: hook
              type: webhook
              url: https://hooks.example.com/m
              secret: ${HOOK_SECRET}
        """;

    private static readonly Dictionary<string, string> s_environment = new()
    {
        ["SLACK_URL"] = "https://hooks.slack.com/services/T0/B0/secret",
        ["TG_TOKEN"] = "123:tok",
        ["SMTP_PASSWORD"] = "pw",
        ["HOOK_SECRET"] = "shh",
    };

    [Fact]
    public async Task Channels_and_rules_are_read_with_secrets_from_the_environment_and_kept_out_of_their_text()
    {
        using TestProject files = new($"name: shop\nserver_url: https://medallion.example.com\n{Channels}\n  rules:\n    - when: run_failed\n      jobs: [nightly]\n      channels: [team, oncall]\n    - when: quality_failed\n      severity: warn\n      repeat_interval: 30m\n");

        MedallionProject project = await files.LoadAsync(name => s_environment.GetValueOrDefault(name));

        AlertSettings alerts = project.Alerts;
        Assert.Equal(new Uri("https://medallion.example.com"), project.ServerUrl);
        Assert.Equal(["slack", "telegram", "email", "webhook"], alerts.Channels.Select(c => c.Type));
        var slack = (SlackChannelDefinition)alerts.Channels[0];
        Assert.Equal(new Uri("https://hooks.slack.com/services/T0/B0/secret"), slack.WebhookUrl);
        var mail = (EmailChannelDefinition)alerts.Channels[2];
        Assert.Equal((587, SmtpSecurity.StartTls, "pw"), (mail.Port, mail.Security, mail.Password));
        Assert.Equal("email channel 'mail'", mail.ToString());
        Assert.Equal("slack channel 'team'", slack.ToString());
        Assert.Equal([(AlertCondition.RunFailed, TimeSpan.FromHours(2)), (AlertCondition.QualityFailed, TimeSpan.FromMinutes(30))], alerts.Rules.Select(r => (r.When, r.RepeatInterval)));
        Assert.Equal(["nightly"], alerts.Rules[0].Jobs);
        Assert.Equal(["team", "oncall"], alerts.Rules[0].Channels);
        Assert.Equal(ExpectationSeverity.Warn, alerts.Rules[1].Severity);
    }

    [Fact]
    public async Task A_misspelt_condition_is_refused_at_its_line_with_the_closest_one()
    {
        using TestProject files = new($"name: shop\n{Channels}\n  rules:\n    - when: run_faild\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync(name => s_environment.GetValueOrDefault(name)));

        Assert.Equal("medallion.yml:24:13: 'when' cannot be 'run_faild'. Did you mean 'run_failed'? Expected one of: run_failed, quality_failed, freshness, anomaly, schema_change, cdc_lag, unreachable.", error.Message);
    }

    [Fact]
    public async Task A_cdc_lag_rule_reads_its_thresholds_and_defaults_the_missing_one()
    {
        using TestProject files = new($"name: shop\n{Channels}\n  rules:\n    - when: cdc_lag\n      max_lag: 512MB\n    - when: cdc_lag\n      name: stalled\n      max_age: 5m\n");

        MedallionProject project = await files.LoadAsync(name => s_environment.GetValueOrDefault(name));

        Assert.Equal(
            [(AlertCondition.CdcLag, 512L << 20, TimeSpan.FromMinutes(15)), (AlertCondition.CdcLag, 1L << 30, TimeSpan.FromMinutes(5))],
            project.Alerts.Rules.Select(r => (r.When, r.MaxLagBytes, r.MaxPositionAge)));
    }

    [Fact]
    public async Task A_lag_that_is_not_a_size_is_refused_at_its_line()
    {
        using TestProject files = new($"name: shop\n{Channels}\n  rules:\n    - when: cdc_lag\n      max_lag: lots\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync(name => s_environment.GetValueOrDefault(name)));

        Assert.Equal("medallion.yml:25:16: 'max_lag' cannot be 'lots'. Expected a size of WAL such as 512MB or 2GB.", error.Message);
    }

    [Fact]
    public async Task A_lag_threshold_on_another_condition_is_refused()
    {
        using TestProject files = new($"name: shop\n{Channels}\n  rules:\n    - when: freshness\n      max_age: 5m\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync(name => s_environment.GetValueOrDefault(name)));

        Assert.Equal("medallion.yml:25:16: 'max_age' applies only to 'when: cdc_lag'.", error.Message);
    }

    [Fact]
    public async Task An_unreachable_rule_reads_its_sources_and_probes_and_defaults_to_two_probes()
    {
        using TestProject files = new TestProject($"name: shop\n{Channels}\n  rules:\n    - when: unreachable\n      sources: [crm]\n      failed_probes: 3\n    - when: unreachable\n      name: anything\n")
            .Write("sources/api.yml", "sources:\n  - name: crm\n    url: http://127.0.0.1:9/orders\n");

        MedallionProject project = await files.LoadAsync(name => s_environment.GetValueOrDefault(name));

        Assert.Equal(
            [(AlertCondition.Unreachable, "crm", 3), (AlertCondition.Unreachable, "", 2)],
            project.Alerts.Rules.Select(r => (r.When, string.Join(",", r.Sources), r.FailedProbes)));
    }

    [Fact]
    public async Task An_unreachable_rule_naming_an_unknown_source_is_refused_with_the_closest_one()
    {
        using TestProject files = new TestProject($"name: shop\n{Channels}\n  rules:\n    - when: unreachable\n      sources: [crn]\n")
            .Write("sources/api.yml", "sources:\n  - name: crm\n    url: http://127.0.0.1:9/orders\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync(name => s_environment.GetValueOrDefault(name)));

        Assert.Equal("medallion.yml:25:16: no database, API or Kafka source is named 'crn'. Did you mean 'crm'? Expected one of: crm.", error.Message);
    }

    [Fact]
    public async Task A_probe_count_on_another_condition_is_refused()
    {
        using TestProject files = new($"name: shop\n{Channels}\n  rules:\n    - when: freshness\n      failed_probes: 3\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync(name => s_environment.GetValueOrDefault(name)));

        Assert.Equal("medallion.yml:25:22: 'failed_probes' applies only to 'when: unreachable'.", error.Message);
    }

    [Fact]
    public async Task A_rule_naming_an_unknown_channel_is_refused_with_the_closest_one()
    {
        using TestProject files = new($"name: shop\n{Channels}\n  rules:\n    - when: anomaly\n      channels: [oncal]\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync(name => s_environment.GetValueOrDefault(name)));

        Assert.Equal("medallion.yml:25:17: no channel is named 'oncal'. Did you mean 'oncall'? Expected one of: team, oncall, mail, hook.", error.Message);
    }

    [Fact]
    public async Task A_key_of_another_channel_type_is_refused_with_the_keys_this_type_takes()
    {
        using TestProject files = new("name: shop\nalerts:\n  channels:\n    - type: slack\n      url: https://hooks.slack.com/x\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync());

        Assert.Equal("medallion.yml:5:7: unknown key 'url' in a slack channel. Expected one of: name, type, webhook_url.", error.Message);
    }

    [Fact]
    public async Task A_missing_secret_names_the_variable_and_never_a_value()
    {
        using TestProject files = new($"name: shop\n{Channels}\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => files.LoadAsync(name => name == "SLACK_URL" ? null : s_environment.GetValueOrDefault(name)));

        Assert.Equal(ErrorCode.ProjectEnvironmentVariableMissing, error.Code);
        Assert.StartsWith("medallion.yml:7:20: the environment variable 'SLACK_URL' is not set.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Freshness_is_read_from_models_and_sources_and_warn_must_come_before_error()
    {
        using TestProject files = new TestProject()
            .Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n    freshness: {warn_after: 2h, error_after: 6h}\n")
            .Write("models/silver/orders.sql", "/* ---\nfreshness:\n  error_after: 1d\n--- */\nSELECT * FROM bronze.orders\n");
        using TestProject wrong = new TestProject()
            .Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    freshness: {warn_after: 6h, error_after: 2h}\n");

        MedallionProject project = await files.LoadAsync();
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => wrong.LoadAsync());

        Assert.Equal((TimeSpan.FromHours(2), TimeSpan.FromHours(6)), (project.Freshness[new TableName("bronze", "orders")].WarnAfter, project.Freshness[new TableName("bronze", "orders")].ErrorAfter));
        Assert.Equal(((TimeSpan?)null, TimeSpan.FromDays(1)), (project.Freshness[new TableName("silver", "orders")].WarnAfter, project.Freshness[new TableName("silver", "orders")].ErrorAfter));
        Assert.Equal("sources/files.yml:5:29: 'warn_after' (6h) must be shorter than 'error_after' (2h): the warning comes first.", error.Message);
    }
}
