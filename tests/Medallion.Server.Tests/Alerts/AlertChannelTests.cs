using System.Net;
using System.Security.Cryptography;
using System.Text;
using Medallion.Pipelines.Alerts;
using Medallion.Server.Alerts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Medallion.Server.Tests.Alerts;

/// <summary>Each HTTP channel sends the exact request its real service expects, to a local server that records it.</summary>
public sealed class AlertChannelTests : IDisposable
{
    private static readonly AlertMessage s_message = new(
        "run_failed:job:nightly", "run_failed", AlertStatus.Firing, "error", "job 'nightly' failed", "job nightly",
        new DateTimeOffset(2026, 3, 5, 3, 0, 12, TimeSpan.Zero), "MDL3001: silver.orders: Conversion Error: <x> & more",
        new Uri("https://medallion.example.com/runs/r-1"), "shop");

    private static readonly SourceLocation s_here = new("medallion.yml", 1, 1);
    private readonly CapturingHttpServer _server = new();
    private readonly HttpClient _http = new();

    [Fact]
    public async Task Slack_gets_a_json_post_with_text_and_blocks_at_the_webhook_url()
    {
        var slack = new SlackAlertSender(_http, new SlackChannelDefinition("team", new Uri(_server.BaseAddress, "services/T000/B000/XXXX"), s_here));

        await slack.SendAsync(s_message, CancellationToken.None);

        CapturedRequest request = _server.Next();
        Assert.Equal(("POST", "/services/T000/B000/XXXX"), (request.Method, request.Path));
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.StartsWith("[FIRING] shop: job 'nightly' failed\nWhere: job nightly\nSince: 2026-03-05 03:00 UTC", request.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
        var blocks = request.Json.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(["header", "section", "section", "actions"], blocks.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("plain_text", blocks[0].GetProperty("text").GetProperty("type").GetString());
        Assert.Contains("&lt;x&gt; &amp; more", blocks[2].GetProperty("text").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("https://medallion.example.com/runs/r-1", blocks[3].GetProperty("elements")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task Telegram_gets_send_message_at_the_bot_path_with_chat_id_text_and_html_parse_mode()
    {
        var telegram = new TelegramAlertSender(_http, new TelegramChannelDefinition("oncall", "123456:ABC-def", "-1001234567890", _server.BaseAddress, s_here));

        await telegram.SendAsync(s_message, CancellationToken.None);

        CapturedRequest request = _server.Next();
        Assert.Equal(("POST", "/bot123456:ABC-def/sendMessage"), (request.Method, request.Path));
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("-1001234567890", request.Json.GetProperty("chat_id").GetString());
        Assert.Equal("HTML", request.Json.GetProperty("parse_mode").GetString());
        string text = request.Json.GetProperty("text").GetString()!;
        Assert.StartsWith("<b>[FIRING] shop: job &#39;nightly&#39; failed</b>\n", text, StringComparison.Ordinal);
        Assert.Contains("<pre>MDL3001: silver.orders: Conversion Error: &lt;x&gt; &amp; more</pre>", text, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://medallion.example.com/runs/r-1\">", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_gets_the_alert_as_json_signed_with_hmac_sha256_of_the_body()
    {
        var webhook = new WebhookAlertSender(_http, new WebhookChannelDefinition("hook", new Uri(_server.BaseAddress, "hooks/medallion"), "shared-secret", s_here));

        await webhook.SendAsync(s_message, CancellationToken.None);

        CapturedRequest request = _server.Next();
        Assert.Equal(("POST", "/hooks/medallion"), (request.Method, request.Path));
        string expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("shared-secret"), request.Body));
        Assert.Equal(expected, request.Headers["X-Medallion-Signature"]);
        Assert.Equal(("firing", "run_failed:job:nightly", "job nightly", "2026-03-05T03:00:12.0000000+00:00"),
            (request.Json.GetProperty("status").GetString(), request.Json.GetProperty("key").GetString(), request.Json.GetProperty("where").GetString(), request.Json.GetProperty("since").GetString()));
        Assert.Equal("https://medallion.example.com/runs/r-1", request.Json.GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_failing_channel_is_retried_with_backoff_until_it_takes_the_message()
    {
        _server.AnswerNext(HttpStatusCode.InternalServerError, HttpStatusCode.TooManyRequests);
        var webhook = new WebhookAlertSender(_http, new WebhookChannelDefinition("hook", _server.BaseAddress, null, s_here));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var dispatcher = new AlertDispatcher(time, NullLogger.Instance) { FirstBackoff = TimeSpan.FromSeconds(10) };

        dispatcher.Enqueue(webhook, s_message);
        _server.Next();
        Assert.False(_server.Requests.TryTake(out _, TimeSpan.FromMilliseconds(300)), "the retry came before its backoff");
        time.Advance(TimeSpan.FromSeconds(10));
        _server.Next();
        Assert.False(_server.Requests.TryTake(out _, TimeSpan.FromMilliseconds(300)), "the second retry came before its doubled backoff");
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(_server.Requests.TryTake(out _, TimeSpan.FromMilliseconds(300)), "the second retry waited only the first backoff");
        time.Advance(TimeSpan.FromSeconds(10));
        CapturedRequest third = _server.Next();

        Assert.False(third.Headers.ContainsKey("X-Medallion-Signature"));
        await WaitUntilAsync(() => dispatcher.Delivered == 1);
        Assert.Equal(0, dispatcher.Abandoned);
    }

    [Fact]
    public async Task A_channel_that_never_answers_right_is_given_up_after_its_attempts_and_the_next_message_still_goes()
    {
        _server.AnswerNext(HttpStatusCode.BadGateway, HttpStatusCode.BadGateway);
        var webhook = new WebhookAlertSender(_http, new WebhookChannelDefinition("hook", _server.BaseAddress, null, s_here));
        await using var dispatcher = new AlertDispatcher(TimeProvider.System, NullLogger.Instance) { Attempts = 2, FirstBackoff = TimeSpan.FromMilliseconds(10) };

        dispatcher.Enqueue(webhook, s_message);
        dispatcher.Enqueue(webhook, s_message with { Status = AlertStatus.Resolved });

        await WaitUntilAsync(() => dispatcher.Abandoned == 1 && dispatcher.Delivered == 1);
        Assert.Equal(["firing", "firing", "resolved"], Enumerable.Range(0, 3).Select(_ => _server.Next().Json.GetProperty("status").GetString()));
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "The condition did not come true within 30 s.");
            await Task.Delay(20);
        }
    }
}
