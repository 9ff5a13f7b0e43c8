namespace Medallion;

/// <summary>
/// What kind of failure an <see cref="ErrorCode"/> is: who can act on it, and so how each edge answers it (the HTTP
/// status, the exit code). Every code has one kind, in the table of <see cref="ErrorCodes"/>.
/// </summary>
public enum ErrorKind
{
    /// <summary>What the user wrote or sent is wrong: SQL, a project file, a setting, a request, the data read. HTTP 400, exit 1.</summary>
    Input,

    /// <summary>A command line is wrong: a value an option does not take, options that do not go together, one missing. HTTP 400, exit 2.</summary>
    Usage,

    /// <summary>Who is asking is not known: a wrong password, an unknown or expired token. HTTP 401, exit 1.</summary>
    Unauthenticated,

    /// <summary>The user may not do this: a grant, a read-only session, a protected table. HTTP 403, exit 1.</summary>
    Denied,

    /// <summary>What was named does not exist: a table, a run, a version, an object. HTTP 404, exit 1.</summary>
    NotFound,

    /// <summary>Someone else changed or holds what this needed (a concurrent commit, an existing table). HTTP 409, exit 1.</summary>
    Conflict,

    /// <summary>Something Medallion depends on cannot be used now or refused it: a store, a source, a disk, a server, a timeout. HTTP 503, exit 1.</summary>
    Unavailable,

    /// <summary>Medallion does not support this (yet): a protocol feature, a location, a statement form. HTTP 501, exit 1.</summary>
    Unsupported,

    /// <summary>Stored data or state is damaged (a Delta log, a recorded position): not the request's fault, not a bug in this program. HTTP 500, exit 1.</summary>
    Corrupt,

    /// <summary>A bug in Medallion, never the user's input. HTTP 500, exit 70.</summary>
    Internal,
}
