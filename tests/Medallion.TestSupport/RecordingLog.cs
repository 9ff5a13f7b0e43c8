using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Medallion.TestSupport;

/// <summary>Keeps every log event, so a test can check what a component logged (and what it kept out).</summary>
public sealed class RecordingLog : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<LoggedEvent> _events = new();

    /// <summary>Every event as <c>Level: message</c>.</summary>
    public IReadOnlyList<string> Lines => [.. _events.Select(e => $"{e.Level}: {e.Message}")];

    /// <summary>Every event with its level and id.</summary>
    public IReadOnlyList<LoggedEvent> Events => [.. _events];

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _events.Enqueue(new LoggedEvent(logLevel, eventId.Id, formatter(state, exception), exception));

    public void Dispose()
    {
    }
}

/// <summary>One event a <see cref="RecordingLog"/> kept.</summary>
public sealed record LoggedEvent(LogLevel Level, int EventId, string Message, Exception? Exception);
