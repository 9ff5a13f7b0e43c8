using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Medallion.Server.Web;

/// <summary>
/// A small line chart of one series over time, drawn by the server as SVG (no script, no library): the points scaled
/// into the box, each with a tooltip of its value and time, and the range of values and of times as labels.
/// </summary>
internal static class LineChart
{
    private const int Width = 360, Height = 120, Left = 8, Right = 8, Top = 18, Bottom = 22;

    /// <param name="id">The chart's element id.</param>
    /// <param name="title">What it shows, as its heading and accessible name.</param>
    /// <param name="points">The series, oldest first.</param>
    /// <param name="format">How a value is written.</param>
    /// <param name="page">The page (locale, time zone of labels).</param>
    public static Markup Render(string id, string title, IReadOnlyList<(DateTimeOffset At, double Value)> points, Func<double, string> format, PageContext page)
    {
        var html = new HtmlBuilder();
        html.Add($"<figure class=\"chart\"><figcaption>{title}</figcaption><svg id=\"{id}\" class=\"chart\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{title}\">");
        if (points.Count > 0)
        {
            double min = points.Min(p => p.Value), max = points.Max(p => p.Value);
            long first = points[0].At.ToUnixTimeMilliseconds(), last = points[^1].At.ToUnixTimeMilliseconds();
            string X(DateTimeOffset at) => Coordinate(last == first ? Width / 2.0 : Left + ((at.ToUnixTimeMilliseconds() - first) * (double)(Width - Left - Right) / (last - first)));
            string Y(double value) => Coordinate(max == min ? Top + ((Height - Top - Bottom) / 2.0) : Height - Bottom - ((value - min) * (Height - Top - Bottom) / (max - min)));
            html.Add($"<polyline class=\"series\" points=\"{string.Join(' ', points.Select(p => X(p.At) + "," + Y(p.Value)))}\"/>");
            foreach ((DateTimeOffset at, double value) in points)
            {
                html.Add($"<circle class=\"point\" cx=\"{X(at)}\" cy=\"{Y(value)}\" r=\"3\"><title>{format(value)} · {at.UtcDateTime.ToString("g", page.Culture)} UTC</title></circle>");
            }

            html.Add($"<text class=\"label\" x=\"{Left}\" y=\"12\">{format(max)}</text>");
            html.Add($"<text class=\"label\" x=\"{Left}\" y=\"{Height - 4}\">{points[0].At.UtcDateTime.ToString("d", page.Culture)}</text>");
            html.Add($"<text class=\"label end\" x=\"{Width - Right}\" y=\"{Height - 4}\">{points[^1].At.UtcDateTime.ToString("d", page.Culture)}</text>");
        }

        html.Add(new Markup("</svg></figure>"));
        return html.ToMarkup();
    }

    private static string Coordinate(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
