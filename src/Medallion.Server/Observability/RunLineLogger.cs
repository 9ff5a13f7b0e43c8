using System.Collections;
using System.Collections.Generic;
using Medallion.Catalog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Server.Observability;

/// <summary>
/// Writes the lines of runs' logs to the server's log as well as the catalog, each in a scope that carries its run id,
/// job and model, so a log shipper reading <c>--log-format json</c> indexes them without asking the catalog.
/// </summary>
internal sealed partial class RunLineLogger(ILoggerFactory? logs)
{
    /// <summary>The category of the lines.</summary>
    public const string Category = "Medallion.Server.Runs";

    private readonly ILogger _logger = (logs ?? NullLoggerFactory.Instance).CreateLogger(Category);

    public void Write(RunRecord run, IReadOnlyList<RunLogEntry> lines)
    {
        foreach (RunLogEntry line in lines)
        {
            LogLevel level = line.Level switch
            {
                "error" => LogLevel.Error,
                "warning" => LogLevel.Warning,
                _ => LogLevel.Information,
            };
            if (!_logger.IsEnabled(level))
            {
                continue;
            }

            using (_logger.BeginScope(new RunScope(run.Id, run.Job, line.Model?.ToString())))
            {
                LogLine(_logger, level, line.Message);
            }
        }
    }

    [LoggerMessage(EventId = 9510, Message = "{Line}")]
    private static partial void LogLine(ILogger logger, LogLevel level, string line);

    /// <summary>The scope of one line: read as properties by the JSON formatter, as its text by the plain one.</summary>
    private sealed class RunScope(string runId, string? job, string? model) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("run_id", runId),
            1 => new("job", job),
            2 => new("model", model),
            _ => throw new System.ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => model is null ? $"run {runId} ({job})" : $"run {runId} ({job}) {model}";
    }
}
