using System;

namespace Medallion.Pipelines;

/// <summary>The <c>audit:</c> section of <c>medallion.yml</c>: how long the audit keeps its events.</summary>
/// <param name="Retention">Events older than this are deleted by the server's upkeep pass of the audit table (<c>audit: {retention: 400d}</c>).</param>
public sealed record AuditSettings(TimeSpan Retention)
{
    /// <summary>The retention when the project sets none: 400 days, a year and a month of slack.</summary>
    public static TimeSpan DefaultRetention { get; } = TimeSpan.FromDays(400);

    /// <summary>The settings of a project without an <c>audit:</c> section.</summary>
    public static AuditSettings Default { get; } = new(DefaultRetention);
}
