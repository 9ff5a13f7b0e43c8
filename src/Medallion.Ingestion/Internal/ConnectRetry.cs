using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Connecting to a source, with retries and exponential backoff for transient failures (server down, starting
/// up, refusing connections). Only the connection is retried: once rows flow, a failure ends the stream and the
/// next run resumes from the last committed position.
/// </summary>
internal static class ConnectRetry
{
    public static async Task<T> RunAsync<T>(SourceTableOptions options, string server, Func<Exception, bool> isTransient, Func<CancellationToken, Task<T>> connect, ILogger logger, CancellationToken cancellationToken)
    {
        ResiliencePipeline pipeline = ResiliencePipeline.Empty;
        if (options.MaxConnectAttempts > 1)
        {
            pipeline = new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(isTransient),
                    MaxRetryAttempts = options.MaxConnectAttempts - 1,
                    Delay = options.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    OnRetry = args =>
                    {
                        LogMessages.ConnectRetry(logger, options.SourceName, server, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message);
                        return default;
                    },
                })
                .Build();
        }

        try
        {
            return await pipeline.ExecuteAsync(async token => await connect(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (isTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            throw SourceErrors.Unavailable(options.SourceName, server, options.MaxConnectAttempts, e);
        }
    }
}
