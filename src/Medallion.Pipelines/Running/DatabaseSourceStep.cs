using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine;
using Medallion.Ingestion;
using Medallion.Pipelines.Sources;
using Microsoft.Extensions.Logging;

namespace Medallion.Pipelines.Running;

/// <summary>One table of a database source, as a step of a run.</summary>
internal sealed record DatabaseStep(DatabaseSourceDefinition Source, DatabaseTableDefinition Table);

/// <summary>
/// Loads one database table through <see cref="DatabaseSourceLoader"/> (one pass; CDC: the changes available now, or
/// one micro-batch interval in a continuous run), or one HTTP API source, with the connector's warnings kept as the
/// step's notes.
/// </summary>
internal static class DatabaseSourceStep
{
    /// <summary>One pass over the table, through a continuous run's kept connector when <paramref name="connectors"/> is given, else a connector of its own.</summary>
    /// <param name="project">The project.</param>
    /// <param name="step">The table.</param>
    /// <param name="writer">The run's writer.</param>
    /// <param name="interval">CDC: the micro-batch interval of a continuous run; null drains what is available.</param>
    /// <param name="connectors">A continuous run's connectors, kept from pass to pass; null makes one for this pass.</param>
    /// <param name="cancellationToken">Stops the pass.</param>
    public static async Task<(DatabaseTableResult Result, List<string> Notes)> LoadAsync(
        MedallionProject project, DatabaseStep step, DeltaWriter writer, TimeSpan? interval, SourceConnectors? connectors, CancellationToken cancellationToken)
    {
        using var warnings = new WarningCollector();
        DatabaseTableResult result = connectors is null
            ? await DatabaseSourceLoader.LoadTableAsync(project, step.Source, step.Table, writer, interval, warnings, cancellationToken).ConfigureAwait(false)
            : await DatabaseSourceLoader.LoadTableAsync(project, step.Source, step.Table, writer, connectors.Get(step.Source, step.Table, warnings), cancellationToken).ConfigureAwait(false);
        var notes = new List<string> { Describe(result) };
        notes.AddRange(warnings.Messages);
        return (result, notes);
    }

    /// <summary>Loads one HTTP API source through <see cref="ApiSourceLoader"/> (all its pages, one commit), with its retry warnings as notes.</summary>
    public static async Task<(DatabaseTableResult Result, List<string> Notes)> LoadApiAsync(
        MedallionProject project, ApiSourceDefinition source, DeltaWriter writer, CancellationToken cancellationToken)
    {
        using var warnings = new WarningCollector();
        DatabaseTableResult result = await ApiSourceLoader.LoadAsync(project, source, writer, null, warnings, cancellationToken).ConfigureAwait(false);
        var notes = new List<string> { Describe(result) };
        notes.AddRange(warnings.Messages);
        return (result, notes);
    }

    /// <summary>What a pass moved, for summaries: rows, batches, mode, position and slot lag.</summary>
    public static string Describe(DatabaseTableResult result)
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{result.Source}: {result.Table} ({result.Mode.ToString().ToLowerInvariant()}), {result.Result.Rows} row(s) in {result.Result.Batches} batch(es)");
        if (result.PositionText is { } position)
        {
            text += $", at {position}";
        }

        return result.SlotLagBytes is long lag ? text + string.Create(CultureInfo.InvariantCulture, $", slot lag {lag} bytes") : text;
    }

    /// <summary>Keeps the warnings a connector logs (replica identity, unchanged TOAST values), once each.</summary>
    private sealed class WarningCollector : ILoggerFactory, ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string message = formatter(state, exception);
            lock (_messages)
            {
                if (!_messages.Contains(message))
                {
                    _messages.Add(message);
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
