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
    public MedallionException(ErrorCode code, string message, Exception? innerException = null, bool isTransient = false, SourceLocation? location = null)
        : base(message, innerException)
    {
        Code = code;
        IsTransient = isTransient;
        Location = location;
    }

    /// <summary>The stable code of this error, e.g. <c>MDL2001</c>; see <see cref="ErrorCode"/> for the ranges.</summary>
    public ErrorCode Code { get; }

    /// <summary>True when the same operation may succeed if retried (a lost connection, a commit conflict that can rebase).</summary>
    public bool IsTransient { get; }

    /// <summary>Where in a user-written file the error is, when it comes from one.</summary>
    public SourceLocation? Location { get; }

    /// <summary>The code as users see it: <c>MDL</c> and four digits.</summary>
    public string CodeText => ErrorCodes.Format(Code);
}
