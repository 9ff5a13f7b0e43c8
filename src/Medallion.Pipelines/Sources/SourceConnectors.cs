using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Ingestion;
using Microsoft.Extensions.Logging;

namespace Medallion.Pipelines.Sources;

/// <summary>
/// The connectors of one continuous run, one per table of a database source, kept from pass to pass so that a CDC
/// table's replication stream stays open between passes (see <see cref="SourceTableOptions.KeepStreamOpen"/>).
/// Disposing closes them; the run that made it disposes it when it ends.
/// </summary>
/// <remarks>Passes may take connectors from several threads; one table's connector serves one pass at a time.</remarks>
public sealed class SourceConnectors : IAsyncDisposable
{
    private readonly TimeSpan _interval;
    private readonly Dictionary<(string Source, string Table), (IIngestionSource Connector, PassLogging Logging)> _kept = [];

    /// <param name="interval">The run's micro-batch interval (see <see cref="DatabaseTableDefinition.ToOptions"/>).</param>
    public SourceConnectors(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _interval = interval;
    }

    /// <summary>The table's connector, made at its first pass, logging to <paramref name="loggerFactory"/> for this pass.</summary>
    /// <param name="source">The source.</param>
    /// <param name="table">One of its tables.</param>
    /// <param name="loggerFactory">Where the connector logs until the next pass takes it (its retries and warnings).</param>
    /// <exception cref="MedallionException">The connection's settings do not make a connection string (see <see cref="DatabaseSourceLoader.CreateSource"/>).</exception>
    public IIngestionSource Get(DatabaseSourceDefinition source, DatabaseTableDefinition table, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(table);
        lock (_kept)
        {
            if (!_kept.TryGetValue((source.Name, table.Table), out var kept))
            {
                var logging = new PassLogging();
                kept = (DatabaseSourceLoader.CreateConnector(source, table.ToOptions(source.Name, _interval, keepStreamOpen: true), logging), logging);
                _kept.Add((source.Name, table.Table), kept);
            }

            kept.Logging.Target = loggerFactory;
            return kept.Connector;
        }
    }

    /// <summary>Closes every connector's kept stream.</summary>
    public async ValueTask DisposeAsync()
    {
        List<IIngestionSource> connectors;
        lock (_kept)
        {
            connectors = [.. _kept.Values.Select(k => k.Connector)];
            _kept.Clear();
        }

        foreach (IIngestionSource connector in connectors)
        {
            if (connector is IAsyncDisposable owned)
            {
                await owned.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A connector makes its loggers once; they log to the logger factory of the pass that uses it (a pass keeps its
    /// connector's warnings as its notes).
    /// </summary>
    private sealed class PassLogging : ILoggerFactory
    {
        public ILoggerFactory? Target { get; set; }

        public ILogger CreateLogger(string categoryName) => new PassLogger(this, categoryName);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class PassLogger(PassLogging owner, string category) : ILogger
        {
            private ILogger? Current => owner.Target?.CreateLogger(category);

            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => Current?.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => Current?.IsEnabled(logLevel) ?? false;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                Current?.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
