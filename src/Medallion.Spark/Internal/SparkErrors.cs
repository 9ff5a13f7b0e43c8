using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Google.Rpc;
using Grpc.Core;
using Medallion.Spark.Protocol;

namespace Medallion.Spark.Internal;

/// <summary>
/// Turns a failed gRPC call into a coded error with Spark's own words. Spark puts a <c>google.rpc.Status</c> in the
/// trailers (<c>grpc-status-details-bin</c>) whose <c>ErrorInfo</c> metadata has <c>errorClass</c>, <c>sqlState</c>,
/// <c>classes</c> (a JSON list), <c>messageParameters</c> (a JSON object) and, when the server keeps the error,
/// <c>errorId</c>, with which <c>FetchErrorDetails</c> returns the full message (the status's may be truncated).
/// </summary>
internal static class SparkErrors
{
    /// <summary>True when the call failed because Spark reported an error (the status has an ErrorInfo), not because the transport broke.</summary>
    public static bool IsSparkError(RpcException e) => Info(e) is not null;

    /// <summary>
    /// True when Spark answered that it has no operation of the id asked for (<c>INVALID_HANDLE.OPERATION_NOT_FOUND</c>,
    /// in the ErrorInfo or, as Spark's own clients read it, the status message): a reattach to an execution the server
    /// never registered.
    /// </summary>
    public static bool IsOperationNotFound(RpcException e) =>
        (Info(e) is { } info && Meta(info, "errorClass") == OperationNotFound)
        || (e.GetRpcStatus()?.Message ?? e.Status.Detail).Contains(OperationNotFound, StringComparison.Ordinal);

    private const string OperationNotFound = "INVALID_HANDLE.OPERATION_NOT_FOUND";

    /// <summary>True when a result stream broke in transit and may be resumed with ReattachExecute.</summary>
    public static bool IsBrokenStream(RpcException e) =>
        Info(e) is null && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted;

    public static async Task<MedallionException> ConvertAsync(RpcException e, string? operationId, Func<string, Task<FetchErrorDetailsResponse?>> fetchDetails)
    {
        ErrorInfo? info = Info(e);
        if (info is null)
        {
            return Transport(e, operationId);
        }

        string message = e.GetRpcStatus()?.Message is { Length: > 0 } statusMessage ? statusMessage : e.Status.Detail;
        string? errorClass = Meta(info, "errorClass");
        string? sqlState = Meta(info, "sqlState");
        IReadOnlyList<string> classes = JsonList(Meta(info, "classes")) is { Count: > 0 } list ? list : [info.Reason];
        IReadOnlyDictionary<string, string> parameters = JsonMap(Meta(info, "messageParameters"));
        string? errorId = Meta(info, "errorId");
        if (errorId is not null && await fetchDetails(errorId).ConfigureAwait(false) is { } fetched
            && fetched.HasRootErrorIdx && fetched.RootErrorIdx >= 0 && fetched.RootErrorIdx < fetched.Errors.Count)
        {
            FetchErrorDetailsResponse.Types.Error root = fetched.Errors[fetched.RootErrorIdx];
            message = root.Message.Length > 0 ? root.Message : message;
            classes = root.ErrorTypeHierarchy.Count > 0 ? root.ErrorTypeHierarchy.ToList() : classes;
            if (root.SparkThrowable is { } throwable)
            {
                errorClass = throwable.HasErrorClass ? throwable.ErrorClass : errorClass;
                sqlState = throwable.HasSqlState ? throwable.SqlState : sqlState;
                parameters = throwable.MessageParameters.Count > 0 ? new Dictionary<string, string>(throwable.MessageParameters) : parameters;
            }
        }

        var details = new SparkErrorDetails(message, errorClass, sqlState, classes, parameters, errorId, operationId);
        ErrorCode code = e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied ? ErrorCode.SparkAuthenticationFailed : ErrorCode.SparkQueryFailed;
        string shown = errorClass is not null && !message.StartsWith($"[{errorClass}]", StringComparison.Ordinal) ? $"[{errorClass}] {message}" : message;
        string state = sqlState is not null && !shown.Contains(sqlState, StringComparison.Ordinal) ? $" (SQLSTATE {sqlState})" : "";
        string help = code == ErrorCode.SparkAuthenticationFailed
            ? "check the token of the connection's remote"
            : "the error class and message are Spark's; fix the SQL or the tables it reads and run it again";
        return new SparkException(code, $"Spark failed{(operationId is null ? "" : $" operation {operationId}")}: {shown}{state}\nHelp: {help}.", details, e);
    }

    public static MedallionException Transport(RpcException e, string? operationId)
    {
        var details = new SparkErrorDetails(e.Status.Detail, null, null, [], new Dictionary<string, string>(), null, operationId);
        return e.StatusCode switch
        {
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => new SparkException(ErrorCode.SparkAuthenticationFailed,
                $"The Spark Connect server refused the credentials ({e.StatusCode}: {e.Status.Detail}).\nHelp: check the token of the connection's remote.", details, e),
            StatusCode.ResourceExhausted => new SparkException(ErrorCode.SparkProtocolViolation,
                $"A Spark Connect message was larger than the client accepts ({e.Status.Detail}).\nHelp: raise grpc_max_message_size in the remote, or return fewer rows.", details, e),
            _ => new SparkException(ErrorCode.SparkUnavailable,
                $"The Spark Connect server could not be reached or the call broke ({e.StatusCode}: {e.Status.Detail}).\nHelp: check that the server runs at the remote's host and port, and whether it needs use_ssl=true.", details, e),
        };
    }

    private static ErrorInfo? Info(RpcException e)
    {
        try
        {
            return e.GetRpcStatus()?.GetDetail<ErrorInfo>();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            // A status detail that does not parse is no detail at all: the error is reported by its status code.
            return null;
        }
    }

    private static string? Meta(ErrorInfo info, string key) => info.Metadata.TryGetValue(key, out string? value) && value.Length > 0 ? value : null;

    private static List<string> JsonList(string? json) => Json(json, SparkJsonContext.Default.ListString);

    private static Dictionary<string, string> JsonMap(string? json) => Json(json, SparkJsonContext.Default.DictionaryStringString);

    /// <summary>Spark's JSON in a metadata value, or an empty value when it is missing or malformed: the error is still reported, with less detail.</summary>
    private static T Json<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : new()
    {
        if (json is null)
        {
            return new T();
        }

        try
        {
            return JsonSerializer.Deserialize(json, type) ?? new T();
        }
        catch (JsonException)
        {
            return new T();
        }
    }
}
