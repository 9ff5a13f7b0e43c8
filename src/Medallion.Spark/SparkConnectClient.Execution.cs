using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Apache.Arrow;
using Grpc.Core;
using Medallion.Spark.Internal;
using Medallion.Spark.Protocol;
using Microsoft.Extensions.Logging;

namespace Medallion.Spark;

/// <summary>Reattachable executions: ExecutePlan, ReattachExecute after a break, ReleaseExecute at the end, Interrupt on cancel and timeout.</summary>
public sealed partial class SparkConnectClient
{
    internal ExecutePlanRequest NewExecute(Plan plan, string operationId, IReadOnlyList<string> tags)
    {
        var request = new ExecutePlanRequest
        {
            SessionId = SessionId,
            UserContext = UserContext(),
            Plan = plan,
            ClientType = _clientType,
            OperationId = operationId,
        };
        request.RequestOptions.Add(new ExecutePlanRequest.Types.RequestOption { ReattachOptions = new ReattachOptions { Reattachable = true } });
        request.Tags.AddRange(tags);
        if (_serverSideSessionId is { } observed)
        {
            request.ClientObservedServerSideSessionId = observed;
        }

        return request;
    }

    private async Task<SparkResult> CollectAsync(Plan plan, SparkQueryOptions? query, CancellationToken cancellationToken)
    {
        IReadOnlyList<SparkField>? schema = null;
        var rows = new List<IReadOnlyList<object?>>();
        string operationId = "";
        await foreach (ExecutePlanResponse response in ExecuteAsync(plan, query, cancellationToken).ConfigureAwait(false))
        {
            operationId = response.OperationId;
            if (response.Schema is { } sparkSchema)
            {
                schema = SparkTypes.Fields(sparkSchema);
            }

            if (response.ResponseTypeCase != ExecutePlanResponse.ResponseTypeOneofCase.ArrowBatch)
            {
                continue;
            }

            foreach (RecordBatch batch in ArrowBatches.Read(response.ArrowBatch.Data.Memory, response.ArrowBatch.RowCount, response.OperationId))
            {
                using (batch)
                {
                    schema ??= SparkTypes.Fields(batch.Schema);
                    rows.AddRange(ArrowBatches.Rows(batch));
                }
            }
        }

        return new SparkResult(operationId, schema ?? [], rows);
    }

    /// <summary>
    /// The responses of one execution, each exactly once, across broken streams; ends after <c>ResultComplete</c>.
    /// </summary>
    internal async IAsyncEnumerable<ExecutePlanResponse> ExecuteAsync(Plan plan, SparkQueryOptions? query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        foreach (string tag in query?.Tags ?? [])
        {
            if (string.IsNullOrEmpty(tag) || tag.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException($"The tag '{tag}' is empty or has a ','; Spark accepts neither.", nameof(query));
            }
        }

        string operationId = Guid.NewGuid().ToString();
        TimeSpan? timeout = query?.Timeout ?? _options.QueryTimeout;
        using var timer = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        if (timeout is { } limit)
        {
            timer.CancelAfter(limit);
        }

        CancellationToken token = linked.Token;
        ExecutePlanRequest request = NewExecute(plan, operationId, query?.Tags ?? []);
        AsyncServerStreamingCall<ExecutePlanResponse> call = _client.ExecutePlan(request, new CallOptions(_headers, cancellationToken: token));
        LogMessages.ExecutionStarted(_logger, operationId, SessionId, Remote);
        string? lastResponseId = null;
        bool complete = false;
        bool reattached = false;
        bool executeAgain = false;
        int attempts = 0;
        int responses = 0;
        string breakReason = "it ended without ResultComplete";
        // The releases of responses read, one after the other, so the server frees a long result as it is read.
        Task releasing = Task.CompletedTask;
        try
        {
            while (!complete)
            {
                ExecutePlanResponse? response = null;
                try
                {
                    if (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
                    {
                        response = call.ResponseStream.Current;
                    }
                }
                catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or RpcException)
                {
                    LogMessages.Interrupting(_logger, operationId, cancellationToken.IsCancellationRequested ? "cancelled" : "past its timeout");
                    await BestEffortAsync(c => _client.InterruptAsync(InterruptOf(operationId), c)).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                    throw TimedOut(operationId, timeout!.Value, e);
                }
                catch (RpcException e) when (reattached && lastResponseId is null && SparkErrors.IsOperationNotFound(e) && attempts < _options.MaxReattachAttempts)
                {
                    // The stream broke before its first response and the server has no such operation: the ExecutePlan never
                    // reached it. It is sent again with the same operation id, as Spark's own clients do; the server refuses
                    // an id it knows, so the query cannot run twice.
                    breakReason = $"the server has no operation {operationId}";
                    executeAgain = true;
                }
                catch (RpcException e) when (reattached && lastResponseId is not null && SparkErrors.IsOperationNotFound(e))
                {
                    throw Unresumable(operationId, attempts, e);
                }
                catch (RpcException e) when (SparkErrors.IsBrokenStream(e) && attempts < _options.MaxReattachAttempts)
                {
                    // The stream broke in transit: resume after the last response read (ReattachExecute).
                    breakReason = $"{e.StatusCode}: {e.Status.Detail}";
                }
                catch (OperationCanceledException e) when (!token.IsCancellationRequested)
                {
                    // Not ours: the server or a proxy reset the HTTP/2 stream (before its response headers, the gRPC client
                    // reports that as a cancellation), which is a broken stream like any other.
                    if (attempts >= _options.MaxReattachAttempts)
                    {
                        throw Unresumable(operationId, attempts, null, e);
                    }

                    breakReason = "the stream was reset";
                }
                catch (RpcException e)
                {
                    throw SparkErrors.IsBrokenStream(e)
                        ? Unresumable(operationId, attempts, e)
                        : await SparkErrors.ConvertAsync(e, operationId, FetchErrorDetailsAsync).ConfigureAwait(false);
                }

                if (response is null)
                {
                    // A reattachable stream that ends without ResultComplete, or breaks, has more to send.
                    call.Dispose();
                    if (++attempts > _options.MaxReattachAttempts)
                    {
                        throw Unresumable(operationId, attempts - 1, null);
                    }

                    // A reattach names the last response read, which the server must still hold: the releases sent before it come first.
                    await releasing.ConfigureAwait(false);
                    if (executeAgain)
                    {
                        LogMessages.Reexecuting(_logger, operationId, attempts);
                        call = _client.ExecutePlan(request, new CallOptions(_headers, cancellationToken: token));
                        (reattached, executeAgain) = (false, false);
                        continue;
                    }

                    LogMessages.Reattaching(_logger, operationId, breakReason, lastResponseId ?? "(none: from the start)", attempts);
                    breakReason = "it ended without ResultComplete";
                    call = _client.ReattachExecute(ReattachOf(operationId, lastResponseId), new CallOptions(_headers, cancellationToken: token));
                    reattached = true;
                    continue;
                }

                attempts = 0;
                Check(response, operationId);
                lastResponseId = response.ResponseId;
                complete = response.ResponseTypeCase == ExecutePlanResponse.ResponseTypeOneofCase.ResultComplete;
                responses++;
                yield return response;
                if (!complete && response.ResponseTypeCase == ExecutePlanResponse.ResponseTypeOneofCase.ArrowBatch)
                {
                    // The caller is done with this batch (it asked for the next): the server need not keep it for a reattach.
                    releasing = ReleaseUntilAsync(releasing, operationId, response.ResponseId);
                }
            }
        }
        finally
        {
            call.Dispose();
            await releasing.ConfigureAwait(false);
            // Releasing a finished execution frees its buffered responses; releasing an abandoned one also stops it.
            ReleaseExecuteRequest release = ReleaseOf(operationId);
            release.ReleaseAll = new ReleaseExecuteRequest.Types.ReleaseAll();
            await BestEffortAsync(c => _client.ReleaseExecuteAsync(release, c)).ConfigureAwait(false);
            if (complete)
            {
                LogMessages.ExecutionFinished(_logger, operationId, responses);
            }
        }
    }

    /// <summary>After <paramref name="previous"/>, releases the execution's responses up to <paramref name="responseId"/>, best effort.</summary>
    private async Task ReleaseUntilAsync(Task previous, string operationId, string responseId)
    {
        await previous.ConfigureAwait(false);
        ReleaseExecuteRequest release = ReleaseOf(operationId);
        release.ReleaseUntil = new ReleaseExecuteRequest.Types.ReleaseUntil { ResponseId = responseId };
        await BestEffortAsync(c => _client.ReleaseExecuteAsync(release, c)).ConfigureAwait(false);
    }

    private ReleaseExecuteRequest ReleaseOf(string operationId)
    {
        var request = new ReleaseExecuteRequest { SessionId = SessionId, UserContext = UserContext(), OperationId = operationId, ClientType = _clientType };
        if (_serverSideSessionId is { } observed)
        {
            request.ClientObservedServerSideSessionId = observed;
        }

        return request;
    }

    private void Check(ExecutePlanResponse response, string operationId)
    {
        if (response.SessionId.Length > 0 && response.SessionId != SessionId)
        {
            throw ArrowBatches.Violation(operationId, $"a response names the session '{response.SessionId}', not this client's '{SessionId}'", null);
        }

        if (response.OperationId.Length > 0 && response.OperationId != operationId)
        {
            throw ArrowBatches.Violation(operationId, $"a response names the operation '{response.OperationId}'", null);
        }

        if (response.ResponseId.Length == 0)
        {
            throw ArrowBatches.Violation(operationId, "a response of a reattachable execution has no response_id", null);
        }

        Observe(response.ServerSideSessionId);
    }

    private ReattachExecuteRequest ReattachOf(string operationId, string? lastResponseId)
    {
        var request = new ReattachExecuteRequest { SessionId = SessionId, UserContext = UserContext(), OperationId = operationId, ClientType = _clientType };
        if (lastResponseId is not null)
        {
            request.LastResponseId = lastResponseId;
        }

        if (_serverSideSessionId is { } observed)
        {
            request.ClientObservedServerSideSessionId = observed;
        }

        return request;
    }

    private InterruptRequest InterruptOf(string operationId)
    {
        InterruptRequest request = NewInterrupt(InterruptRequest.Types.InterruptType.OperationId);
        request.OperationId = operationId;
        return request;
    }

    private static SparkException TimedOut(string? operationId, TimeSpan timeout, Exception inner) =>
        new(ErrorCode.SparkQueryTimedOut,
            operationId is null
                ? $"A Spark Connect call did not finish within the timeout of {DurationText.Format(timeout)}.\nHelp: raise the timeout, or check that the server is not overloaded."
                : $"Spark operation {operationId} ran longer than its timeout of {DurationText.Format(timeout)} and was interrupted.\nHelp: raise the timeout, or make the query cheaper.",
            new SparkErrorDetails("timed out", null, null, [], new Dictionary<string, string>(), null, operationId),
            new TimeoutException($"The Spark query did not finish within {DurationText.Format(timeout)}.", inner));

    private static SparkException Unresumable(string operationId, int attempts, RpcException? inner, Exception? reset = null) =>
        new(ErrorCode.SparkUnavailable,
            $"The result stream of Spark operation {operationId} broke and could not be resumed after {attempts} reattach attempts{(inner is null ? "" : $" ({inner.StatusCode}: {inner.Status.Detail})")}.\nHelp: check the network between Medallion and the Spark Connect server; the query may be run again.",
            new SparkErrorDetails(inner?.Status.Detail ?? (reset is null ? "stream ended early" : "stream reset"), null, null, [], new Dictionary<string, string>(), null, operationId),
            (Exception?)inner ?? reset);
}
