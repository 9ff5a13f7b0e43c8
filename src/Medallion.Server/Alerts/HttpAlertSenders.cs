using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines.Alerts;

namespace Medallion.Server.Alerts;

/// <summary>The channels reached over HTTP: Slack, Telegram and generic webhooks. Errors never quote the URL (Slack's and Telegram's hold the secret).</summary>
internal abstract class HttpAlertSender(HttpClient http, string name) : IAlertSender
{
    public string Name { get; } = name;

    public abstract Task SendAsync(AlertMessage message, CancellationToken cancellationToken);

    protected async Task PostAsync(Uri url, byte[] body, Action<HttpRequestHeaders>? headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        headers?.Invoke(request.Headers);
        using HttpResponseMessage response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"{Name} answered {(int)response.StatusCode} {response.ReasonPhrase}: {(text.Length > 200 ? text[..200] : text)}", null, response.StatusCode);
        }
    }

    protected static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}

/// <summary>A Slack incoming webhook: <c>text</c> (the notification's fallback) and Block Kit <c>blocks</c>.</summary>
internal sealed class SlackAlertSender(HttpClient http, SlackChannelDefinition channel) : HttpAlertSender(http, channel.Name)
{
    public override Task SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        var fields = new JsonArray(
            Markdown($"*Where*\n{Escape(message.Where)}"),
            Markdown($"*{(message.Status == AlertStatus.Firing ? "Since" : "Resolved at")}*\n{message.SinceText}"),
            Markdown($"*Severity*\n{message.Severity}"),
            Markdown($"*Rule*\n{Escape(message.Rule)}"));
        var blocks = new JsonArray(
            new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Truncate(message.Title, 150) } },
            new JsonObject { ["type"] = "section", ["fields"] = fields });
        if (message.Detail is { } detail)
        {
            blocks.Add(new JsonObject { ["type"] = "section", ["text"] = Markdown("```" + Escape(Truncate(detail, 2900)) + "```") });
        }

        if (message.Link is { } link)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["elements"] = new JsonArray(new JsonObject
                {
                    ["type"] = "button",
                    ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Open in Medallion" },
                    ["url"] = link.ToString(),
                }),
            });
        }

        var body = new JsonObject { ["text"] = message.Text, ["blocks"] = blocks };
        return PostAsync(channel.WebhookUrl, Json(body), null, cancellationToken);
    }

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    /// <summary>Slack's mrkdwn needs only these three escaped.</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

/// <summary>Telegram's Bot API: <c>POST {api}/bot{token}/sendMessage</c> with <c>chat_id</c>, <c>text</c> and <c>parse_mode: HTML</c>.</summary>
internal sealed class TelegramAlertSender(HttpClient http, TelegramChannelDefinition channel) : HttpAlertSender(http, channel.Name)
{
    public override Task SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        text.Append("<b>").Append(Html(message.Title)).Append("</b>\n");
        text.Append("Where: ").Append(Html(message.Where)).Append('\n');
        text.Append(message.Status == AlertStatus.Firing ? "Since: " : "Resolved at: ").Append(message.SinceText).Append('\n');
        text.Append("Severity: ").Append(message.Severity);
        if (message.Detail is { } detail)
        {
            text.Append("\n<pre>").Append(Html(detail.Length > 3000 ? detail[..3000] : detail)).Append("</pre>");
        }

        if (message.Link is { } link)
        {
            text.Append("\n<a href=\"").Append(Html(link.ToString())).Append("\">Open in Medallion</a>");
        }

        var body = new JsonObject
        {
            ["chat_id"] = channel.ChatId,
            ["text"] = text.ToString(),
            ["parse_mode"] = "HTML",
            ["disable_web_page_preview"] = true,
        };
        var url = new Uri(channel.ApiUrl.ToString().TrimEnd('/') + "/bot" + channel.BotToken + "/sendMessage");
        return PostAsync(url, Json(body), null, cancellationToken);
    }

    /// <summary>Telegram's HTML mode needs &lt;, &gt;, &amp; and quotes escaped.</summary>
    private static string Html(string text) => System.Net.WebUtility.HtmlEncode(text);
}

/// <summary>A generic webhook: the message as JSON, signed <c>X-Medallion-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> with the shared secret.</summary>
internal sealed class WebhookAlertSender(HttpClient http, WebhookChannelDefinition channel) : HttpAlertSender(http, channel.Name)
{
    /// <summary>The header that carries the signature.</summary>
    public const string SignatureHeader = "X-Medallion-Signature";

    public override Task SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["status"] = message.Status == AlertStatus.Firing ? "firing" : "resolved",
            ["key"] = message.Key,
            ["rule"] = message.Rule,
            ["severity"] = message.Severity,
            ["project"] = message.Project,
            ["title"] = message.Title,
            ["what"] = message.What,
            ["where"] = message.Where,
            ["since"] = message.Since.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["detail"] = message.Detail,
            ["url"] = message.Link?.ToString(),
        };
        byte[] bytes = Json(body);
        return PostAsync(channel.Url, bytes, headers =>
        {
            if (channel.Secret is { } secret)
            {
                headers.Add(SignatureHeader, Sign(secret, bytes));
            }
        }, cancellationToken);
    }

    /// <summary>The signature of a body: <c>sha256=</c> and the lower-case hex HMAC-SHA256, as GitHub's webhooks sign.</summary>
    public static string Sign(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
