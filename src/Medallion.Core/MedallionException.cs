using System;

namespace Medallion;

/// <summary>
/// The base of every domain and server failure Medallion reports. It carries a stable
/// <see cref="ErrorCode"/>, whether a retry may succeed, and, for errors in user-written files
/// (models, sources, checks), where in the file the problem is.
/// </summary>
/// <remarks>
/// API misuse is reported with the standard <see cref="ArgumentException"/>,
/// <see cref="InvalidOperationException"/> and <see cref="ObjectDisposedException"/> instead.
/// </remarks>
public class MedallionException : Exception
{
    /// <summary>Creates an exception with a code and a message that says what failed and what to do next.</summary>
    /// <param name="code">The code; whether the error is transient comes from its row of <see cref="ErrorCodes"/>.</param>
    /// <param name="message">What failed, on which object, and (after "Help:") what to do next.</param>
    /// <param name="innerException">The failure this one explains, if any.</param>
    /// <param name="isTransient">
    /// Only where one code is sometimes transient and sometimes not (a store's 5xx against its 4xx), whether this one is;
    /// the call site says why. Null takes the table's answer.
    /// </param>
    /// <param name="location">Where in a user-written file the error is.</param>
    public MedallionException(ErrorCode code, string message, Exception? innerException = null, bool? isTransient = null, SourceLocation? location = null)
        : base(message, innerException)
    {
        Code = code;
        IsTransient = isTransient ?? ErrorCodes.Describe(code).IsTransient;
        Location = location;
    }

    /// <summary>The stable code of this error, e.g. <c>MDL2001</c>; see <see cref="ErrorCode"/> for the ranges.</summary>
    public ErrorCode Code { get; }

    /// <summary>True when the same operation may succeed if retried (a lost connection, a commit conflict that can rebase).</summary>
    public bool IsTransient { get; }

    /// <summary>What kind of failure this is (from the table of <see cref="ErrorCodes"/>).</summary>
    public ErrorKind Kind => ErrorCodes.Describe(Code).Kind;

    /// <summary>The SQLSTATE a PostgreSQL client sees for this error: its code's, unless the error knows a finer one.</summary>
    public virtual string SqlState => ErrorCodes.Describe(Code).SqlState;

    /// <summary>Where in a user-written file the error is, when it comes from one.</summary>
    public SourceLocation? Location { get; }

    /// <summary>The code as users see it: <c>MDL</c> and four digits.</summary>
    public string CodeText => ErrorCodes.Format(Code);
}
