using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Medallion.Pipelines.Alerts;
using Microsoft.Extensions.Logging;

namespace Medallion.Server.Alerts;

/// <summary>
/// Sends alert messages in the background so that no run ever waits for Slack or an SMTP server: a bounded queue
/// (the oldest message goes when it is full), one consumer, and retries with exponential backoff for a channel that
/// fails. Logs name the channel and the error, never its URL, token or password.
/// </summary>
internal sealed class AlertDispatcher : IAsyncDisposable
{
    private readonly Channel<(IAlertSender Sender, AlertMessage Message)> _queue;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public AlertDispatcher(TimeProvider time, ILogger log, int capacity = 1000)
    {
        _time = time;
        _log = log;
        _queue = Channel.CreateBounded<(IAlertSender, AlertMessage)>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How many times a message is tried before it is given up (the first try included).</summary>
    public int Attempts { get; init; } = 5;

    /// <summary>The wait before the first retry; it doubles with each.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many messages were delivered (for tests and metrics).</summary>
    public int Delivered => _delivered;

    /// <summary>How many messages were given up after every attempt failed.</summary>
    public int Abandoned => _abandoned;

    private int _delivered;
    private int _abandoned;

    /// <summary>Creates the senders of a project's channels; one HTTP client serves them all.</summary>
    public static IReadOnlyDictionary<string, IAlertSender> Senders(IEnumerable<AlertChannelDefinition> channels, HttpClient http) =>
        channels.ToDictionary(c => c.Name, c => c switch
        {
            SlackChannelDefinition slack => (IAlertSender)new SlackAlertSender(http, slack),
            TelegramChannelDefinition telegram => new TelegramAlertSender(http, telegram),
            EmailChannelDefinition email => new EmailAlertSender(email),
            WebhookChannelDefinition webhook => new WebhookAlertSender(http, webhook),
            _ => throw new ArgumentException($"Unknown channel type {c.Type}.", nameof(channels)),
        }, StringComparer.OrdinalIgnoreCase);

    /// <summary>Queues a message for a channel; returns at once.</summary>
    public void Enqueue(IAlertSender sender, AlertMessage message) => _queue.Writer.TryWrite((sender, message));

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        // Queued messages get a few seconds to go out; a dead channel does not hold the stop.
        _stop.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        await foreach ((IAlertSender sender, AlertMessage message) in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
        {
            await DeliverAsync(sender, message).ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(IAlertSender sender, AlertMessage message)
    {
        TimeSpan backoff = FirstBackoff;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await sender.SendAsync(message, timeout.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _delivered);
                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Any failure of a channel is retried, then logged; it must never stop the dispatcher.
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (attempt >= Attempts)
                {
                    Interlocked.Increment(ref _abandoned);
                    _log.LogError("Alert channel '{Channel}' failed {Attempts} times; gave up on '{Title}': {Error}", sender.Name, attempt, message.Title, Describe(e));
                    return;
                }

                _log.LogWarning("Alert channel '{Channel}' failed (attempt {Attempt} of {Attempts}), retrying in {Delay}: {Error}", sender.Name, attempt, Attempts, backoff, Describe(e));
            }

            try
            {
                await Task.Delay(backoff, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff *= 2;
        }
    }

    /// <summary>The error without anything that may quote a URL (HttpClient's own messages do not; inner socket errors name only the host).</summary>
    private static string Describe(Exception e) => e.GetType().Name + ": " + e.Message;
}
