using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medallion.Server.Http;

/// <summary>
/// Every error answer of the REST API: RFC 9457 problem details (<c>application/problem+json</c>) whose status, type
/// and title come from the error's code in the error table (<see cref="ErrorCodes"/>), with the code itself in
/// <c>code</c>, so a client branches on <c>MDL6903</c> rather than on the wording.
/// </summary>
internal static class ApiProblem
{
    /// <summary>The problem type of a code: a URN that names it (there is no page to fetch for it).</summary>
    public static string TypeOf(ErrorCode code) => "urn:medallion:error:" + ErrorCodes.Format(code);

    /// <summary>The answer to a coded failure: its status from the table, its message as the detail.</summary>
    public static IResult For(MedallionException error) => For(error.Code, error.Message);

    /// <summary>The answer for a failure of <paramref name="code"/> that <paramref name="detail"/> explains.</summary>
    public static IResult For(ErrorCode code, string detail)
    {
        ErrorCodeInfo info = ErrorCodes.Describe(code);
        var problem = new ProblemDetails
        {
            Type = TypeOf(code),
            Title = ErrorCodes.Title(code),
            Status = info.HttpStatus,
            Detail = detail,
            Extensions = { ["code"] = ErrorCodes.Format(code) },
        };
        return TypedResults.Problem(problem);
    }

    /// <summary>Writes the answer where no endpoint runs (authentication, a guard before it).</summary>
    public static Task WriteAsync(HttpContext http, ErrorCode code, string detail) => For(code, detail).ExecuteAsync(http);

    /// <summary>
    /// Runs first for <c>/api</c>: a failure no endpoint answered becomes a problem too. A coded one gets its code's
    /// status; anything else is a bug, logged here once with its stack and answered as <c>MDL0100</c>, whose detail
    /// shows nothing of the server's insides.
    /// </summary>
    public static async Task CatchAsync(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (Exception error) when (http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal) && !http.Response.HasStarted
            && !(error is OperationCanceledException && http.RequestAborted.IsCancellationRequested))
        {
            if (error is MedallionException { Kind: not ErrorKind.Internal } coded)
            {
                await WriteAsync(http, coded.Code, coded.Message).ConfigureAwait(false);
                return;
            }

            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiProblem).FullName!)
                .LogError(error, "{Method} {Path} failed with an unexpected error (a bug in Medallion)", http.Request.Method, http.Request.Path.Value);
            await WriteAsync(http, ErrorCode.InternalError,
                $"{http.Request.Method} {http.Request.Path} failed with an unexpected error: a bug in Medallion, not a problem with the request. The server's log has its details; please report it with them.").ConfigureAwait(false);
        }
    }
}
