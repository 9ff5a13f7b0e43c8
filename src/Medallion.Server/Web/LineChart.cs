using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Medallion.Server.Web;

/// <summary>
/// A small line chart of one series over time, drawn by the server as SVG (no script, no library): the points scaled
/// into the box, each with a tooltip of its value and time, a value axis (lowest, middle and highest value, written
/// in the page's language, with grid lines) and a time axis (first, middle and last time: HH:mm when the series spans
/// less than a day, dates when longer, in UTC as the axis title says).
/// </summary>
internal static class LineChart
{
    private const int Width = 400, Height = 150, Right = 12, Top = 10, Bottom = 36;

    // Room for the rotated value-axis title, and the width of a label's character at the labels' 11px.
    private const double TitleRoom = 16, CharacterWidth = 6.5;

    /// <param name="id">The chart's element id.</param>
    /// <param name="title">What it shows, as its heading and accessible name.</param>
    /// <param name="valueAxis">What the values count (the value axis's title), e.g. "rows".</param>
    /// <param name="points">The series, oldest first.</param>
    /// <param name="format">How a value is written.</param>
    /// <param name="page">The page (its language's number and date formats).</param>
    public static Markup Render(string id, string title, string valueAxis, IReadOnlyList<(DateTimeOffset At, double Value)> points, Func<double, string> format, PageContext page)
    {
        var html = new HtmlBuilder();
        html.Add($"<figure class=\"chart\"><figcaption>{title}</figcaption><svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{title}\">");
        if (points.Count > 0)
        {
            double min = points.Min(p => p.Value), max = points.Max(p => p.Value);
            double[] values = max == min ? [min] : [min, (min + max) / 2, max];
            string[] valueLabels = [.. values.Select(format)];
            double left = TitleRoom + (valueLabels.Max(l => l.Length) * CharacterWidth) + 8;
            long first = points[0].At.ToUnixTimeMilliseconds(), last = points[^1].At.ToUnixTimeMilliseconds();
            double X(DateTimeOffset at) => last == first ? (left + Width - Right) / 2.0 : left + ((at.ToUnixTimeMilliseconds() - first) * (Width - left - Right) / (last - first));
            double Y(double value) => max == min ? Top + ((Height - Top - Bottom) / 2.0) : Height - Bottom - ((value - min) * (Height - Top - Bottom) / (max - min));

            for (int i = 0; i < values.Length; i++)
            {
                string y = Coordinate(Y(values[i]));
                html.Add($"<line class=\"grid\" x1=\"{Coordinate(left)}\" x2=\"{Width - Right}\" y1=\"{y}\" y2=\"{y}\"/>");
                html.Add($"<text class=\"tick value\" x=\"{Coordinate(left - 6)}\" y=\"{Coordinate(Y(values[i]) + 4)}\">{valueLabels[i]}</text>");
            }

            double middle = (Top + Height - Bottom) / 2.0;
            html.Add($"<text class=\"axis-title\" transform=\"rotate(-90)\" x=\"{Coordinate(-middle)}\" y=\"11\">{valueAxis}</text>");

            html.Add($"<polyline class=\"series\" points=\"{string.Join(' ', points.Select(p => Coordinate(X(p.At)) + "," + Coordinate(Y(p.Value))))}\"/>");
            foreach ((DateTimeOffset at, double value) in points)
            {
                html.Add($"<circle class=\"point\" cx=\"{Coordinate(X(at))}\" cy=\"{Coordinate(Y(value))}\" r=\"3\"><title>{format(value)} · {at.UtcDateTime.ToString("g", page.Culture)} UTC</title></circle>");
            }

            // Within a day the hours tell the points apart (the axis title gives the first one's date); over a longer span the dates do.
            bool withinADay = last - first < TimeSpan.FromDays(1).TotalMilliseconds;
            string When(DateTimeOffset at) => at.UtcDateTime.ToString(withinADay ? "HH:mm" : "d", page.Culture);
            DateTimeOffset[] times = last == first ? [points[0].At] : [points[0].At, DateTimeOffset.FromUnixTimeMilliseconds(first + ((last - first) / 2)), points[^1].At];
            for (int i = 0; i < times.Length; i++)
            {
                string anchor = times.Length == 1 || (i > 0 && i < times.Length - 1) ? "middle" : i == 0 ? "start" : "end";
                html.Add($"<text class=\"tick time {anchor}\" x=\"{Coordinate(X(times[i]))}\" y=\"{Height - Bottom + 15}\">{When(times[i])}</text>");
            }

            html.Add($"<text class=\"axis-title middle\" x=\"{Coordinate((left + Width - Right) / 2)}\" y=\"{Height - 4}\">{page.T(withinADay ? "time of day, {0} (UTC)" : "date (UTC)", points[0].At.UtcDateTime.ToString("d", page.Culture))}</text>");
        }

        html.Add(new Markup("</svg></figure>"));
        return html.ToMarkup();
    }

    private static string Coordinate(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
