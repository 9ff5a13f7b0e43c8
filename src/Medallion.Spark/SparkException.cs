using System;
using System.Collections.Generic;

namespace Medallion.Spark;

/// <summary>
/// A failure Spark reported: its error class (e.g. <c>TABLE_OR_VIEW_NOT_FOUND</c>), SQLSTATE, message parameters and
/// exception classes, under a Medallion code (<see cref="ErrorCode.SparkQueryFailed"/> and the other Spark codes).
/// </summary>
public sealed class SparkException : MedallionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The Medallion code.</param>
    /// <param name="message">The message the user sees, with Spark's own.</param>
    /// <param name="details">What Spark said about the error.</param>
    /// <param name="innerException">The gRPC failure this one explains.</param>
    public SparkException(ErrorCode code, string message, SparkErrorDetails details, Exception? innerException = null)
        : base(code, message, innerException)
    {
        ArgumentNullException.ThrowIfNull(details);
        Details = details;
    }

    /// <summary>What Spark said about the error.</summary>
    public SparkErrorDetails Details { get; }

    /// <summary>Spark's error class, e.g. <c>DIVIDE_BY_ZERO</c>, when it sent one.</summary>
    public string? ErrorClass => Details.ErrorClass;

    /// <summary>Spark's SQLSTATE when it sent a well-formed one, else the code's.</summary>
    public override string SqlState => Details.SqlState is { Length: 5 } state ? state : base.SqlState;
}

/// <summary>What Spark sent about an error: the gRPC status's <c>google.rpc.ErrorInfo</c> and, when the server keeps it, the full error from <c>FetchErrorDetails</c>.</summary>
/// <param name="Message">Spark's message, the full one when the server had it.</param>
/// <param name="ErrorClass">The error class (<c>errorClass</c>), if any.</param>
/// <param name="SqlState">The SQLSTATE (<c>sqlState</c>), if any.</param>
/// <param name="Classes">The exception's class and its parents (<c>classes</c>, or ErrorInfo's reason).</param>
/// <param name="MessageParameters">The error's message parameters (<c>messageParameters</c>).</param>
/// <param name="ErrorId">The server's id of the error (<c>errorId</c>), used to fetch its details.</param>
/// <param name="OperationId">The execution the error ended, when it was one.</param>
public sealed record SparkErrorDetails(
    string Message,
    string? ErrorClass,
    string? SqlState,
    IReadOnlyList<string> Classes,
    IReadOnlyDictionary<string, string> MessageParameters,
    string? ErrorId,
    string? OperationId);
