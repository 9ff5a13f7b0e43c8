using System;
using System.IO;
using Microsoft.Extensions.Logging;

namespace Medallion.Cli.Output;

/// <summary>
/// Library log messages on the console: warnings and errors always (they tell the user something to act on, such
/// as a table without a full replica identity), information only when asked for. Writes are serialized, since
/// several streams may log at once.
/// </summary>
internal sealed class ConsoleLog(TextWriter writer, LogLevel minimum) : ILoggerFactory, ILogger
{
    private readonly object _lock = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The console log has no providers.");

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string prefix = logLevel switch
        {
            LogLevel.Warning => "warning: ",
            >= LogLevel.Error => "error: ",
            _ => string.Empty,
        };
        lock (_lock)
        {
            writer.WriteLine(prefix + formatter(state, exception));
        }
    }

    public void Dispose()
    {
    }
}
