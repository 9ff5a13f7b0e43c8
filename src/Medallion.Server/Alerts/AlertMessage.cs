using System;
using System.Globalization;

namespace Medallion.Server.Alerts;

/// <summary>Whether a message says a condition holds or that it cleared.</summary>
public enum AlertStatus
{
    /// <summary>The condition holds (first message or a repeat).</summary>
    Firing,

    /// <summary>The condition cleared.</summary>
    Resolved,
}

/// <summary>One message to people: what happened, where, since when, and where to look.</summary>
/// <param name="Key">The alert's identity (the same for its firing, repeats and resolution).</param>
/// <param name="Rule">The rule that raised it.</param>
/// <param name="Status">Firing or resolved.</param>
/// <param name="Severity"><c>warning</c> or <c>error</c>.</param>
/// <param name="What">What happened, in one line: <c>job 'nightly' failed after 3 attempts</c>.</param>
/// <param name="Where">What it is about: <c>job nightly</c>, <c>table silver.orders</c>.</param>
/// <param name="Since">When the condition started (for a resolution: when it cleared).</param>
/// <param name="Detail">The error or figures behind it; null when none.</param>
/// <param name="Link">The page of the web UI to look at; null when <c>server_url</c> is not set.</param>
/// <param name="Project">The project's name.</param>
public sealed record AlertMessage(string Key, string Rule, AlertStatus Status, string Severity, string What, string Where, DateTimeOffset Since, string? Detail, Uri? Link, string Project)
{
    /// <summary>The one-line title: <c>[FIRING] shop: job 'nightly' failed</c>.</summary>
    public string Title => $"[{(Status == AlertStatus.Firing ? "FIRING" : "RESOLVED")}] {Project}: {What}";

    /// <summary>The time as messages print it.</summary>
    public string SinceText => Since.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The message as plain text (e-mail body, Slack's fallback text).</summary>
    public string Text =>
        $"{Title}\nWhere: {Where}\n{(Status == AlertStatus.Firing ? "Since" : "Resolved at")}: {SinceText}\nSeverity: {Severity}"
        + (Detail is null ? "" : $"\n{Detail}")
        + (Link is null ? "" : $"\n{Link}");
}
