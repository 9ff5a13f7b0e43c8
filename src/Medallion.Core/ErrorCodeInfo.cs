namespace Medallion;

/// <summary>
/// One row of the error table (<see cref="ErrorCodes.Describe"/>): what a code is and how each edge reports it.
/// </summary>
/// <param name="Code">The code.</param>
/// <param name="Kind">What kind of failure it is; the HTTP status and the exit code follow from it.</param>
/// <param name="SqlState">
/// The SQLSTATE a PostgreSQL client sees for it, the one PostgreSQL itself uses for that condition
/// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
/// </param>
/// <param name="IsTransient">Whether the same operation may succeed when retried (as Npgsql's <c>PostgresException.IsTransient</c>, decided by the code, not at each throw site).</param>
public readonly record struct ErrorCodeInfo(ErrorCode Code, ErrorKind Kind, string SqlState, bool IsTransient = false)
{
    /// <summary>The HTTP status a REST answer carries for it.</summary>
    public int HttpStatus => Kind switch
    {
        ErrorKind.Input or ErrorKind.Usage => 400,
        ErrorKind.Unauthenticated => 401,
        ErrorKind.Denied => 403,
        ErrorKind.NotFound => 404,
        ErrorKind.Conflict => 409,
        ErrorKind.Unsupported => 501,
        ErrorKind.Unavailable => 503,
        _ => 500,
    };

    /// <summary>
    /// The exit code of a command that ends with it: 1 for a failure of the input or the data, 2 for a command line that is
    /// wrong, 70 (sysexits' EX_SOFTWARE) for a bug in Medallion. A cancelled command exits 130, which no code has.
    /// </summary>
    public int ExitCode => Kind switch
    {
        ErrorKind.Usage => 2,
        ErrorKind.Internal => 70,
        _ => 1,
    };
}
