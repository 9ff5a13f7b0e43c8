using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Platform;

namespace Medallion.Server.Web;

/// <summary>
/// Where a run's models sit in time, for its page's timeline: measured from the run's start (its first attempt, or its
/// earliest model for a run without attempts) to its end (or now, while it runs), so models that ran side by side overlap.
/// </summary>
internal sealed class ModelTimeline
{
    private readonly DateTimeOffset _origin;
    private readonly DateTimeOffset _now;

    private ModelTimeline(DateTimeOffset origin, TimeSpan span, DateTimeOffset now)
    {
        _origin = origin;
        Span = span;
        _now = now;
    }

    /// <summary>From the run's start to its end (or now): the width of the timeline.</summary>
    public TimeSpan Span { get; }

    /// <summary>The timeline of <paramref name="run"/> as it is at <paramref name="now"/>.</summary>
    public static ModelTimeline Of(RunDetails run, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(run);
        List<DateTimeOffset> starts = [.. run.Attempts.Select(a => a.StartedAt), .. run.Models.Where(m => m.StartedAt is not null).Select(m => m.StartedAt!.Value)];
        DateTimeOffset origin = starts.Count == 0 ? run.Run.StartedAt : starts.Min();
        var timeline = new ModelTimeline(origin, TimeSpan.Zero, now);
        DateTimeOffset end = run.Run.FinishedAt ?? now;
        foreach (ModelRunRecord model in run.Models)
        {
            if (model.StartedAt is { } started && started + timeline.Duration(model) > end)
            {
                end = started + timeline.Duration(model);
            }
        }

        // A run that ended within a millisecond still draws its bars.
        TimeSpan span = end - origin;
        return new ModelTimeline(origin, span < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : span, now);
    }

    /// <summary>How long the model took, or has been running so far.</summary>
    public TimeSpan Duration(ModelRunRecord model) =>
        model is { Status: RunStatus.Running, StartedAt: { } started } ? Max(_now - started, TimeSpan.Zero) : model.Duration;

    /// <summary>The model's bar, as percentages of the timeline's width; null for a model that never started, or whose start was not recorded.</summary>
    public TimelineBar? Bar(ModelRunRecord model)
    {
        if (model.StartedAt is not { } started)
        {
            return null;
        }

        TimeSpan offset = Max(started - _origin, TimeSpan.Zero);
        double left = Math.Min(100, 100 * offset / Span);
        return new TimelineBar(offset, left, Math.Min(100 - left, 100 * Duration(model) / Span));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>One model's bar on a run's timeline.</summary>
/// <param name="Offset">When the model started, after the run's start.</param>
/// <param name="LeftPercent">Where the bar starts, in percent of the timeline's width.</param>
/// <param name="WidthPercent">How long the bar is, in percent of the timeline's width.</param>
internal sealed record TimelineBar(TimeSpan Offset, double LeftPercent, double WidthPercent);
