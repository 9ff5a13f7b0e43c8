using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Medallion.Pipelines.Privacy;

/// <summary>
/// A table's retention (<c>retention: {column: created_at, keep: 5y}</c>): rows whose <see cref="Column"/> is older than
/// <see cref="Keep"/> are deleted by <c>medallion retention</c> and by the server's daily pass.
/// </summary>
/// <param name="Column">A DATE or TIMESTAMP column that dates each row.</param>
/// <param name="Keep">How long rows are kept, as written (<c>90d</c>, <c>12w</c>, <c>18mo</c>, <c>5y</c>).</param>
/// <param name="Amount">The number in <see cref="Keep"/>.</param>
/// <param name="Unit">The unit in <see cref="Keep"/>: <c>d</c>, <c>w</c>, <c>mo</c> or <c>y</c>.</param>
/// <param name="Location">Where the setting is written.</param>
public sealed partial record RetentionPolicy(string Column, string Keep, int Amount, string Unit, SourceLocation Location)
{
    /// <summary>The oldest moment a row may have at <paramref name="now"/>; older rows go (calendar months and years).</summary>
    public DateTimeOffset Cutoff(DateTimeOffset now) => Unit switch
    {
        "d" => now.AddDays(-Amount),
        "w" => now.AddDays(-7 * Amount),
        "mo" => now.AddMonths(-Amount),
        _ => now.AddYears(-Amount),
    };

    /// <summary>Reads a <c>keep</c> value; null when it is not a positive number and a unit.</summary>
    internal static (int Amount, string Unit)? ParseKeep(string text)
    {
        Match match = KeepShape().Match(text.Trim());
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int amount) || amount <= 0)
        {
            return null;
        }

        return (amount, match.Groups[2].Value.ToLowerInvariant());
    }

    [GeneratedRegex(@"^(\d{1,5})\s*(d|w|mo|y)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex KeepShape();
}
