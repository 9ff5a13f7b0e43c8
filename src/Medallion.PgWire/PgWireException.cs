using System;

namespace Medallion.PgWire;

/// <summary>
/// A failure reported to a PostgreSQL client: it carries the SQLSTATE the client sees in its
/// ErrorResponse, e.g. <c>28P01</c> for a failed login or <c>25006</c> for a refused write.
/// </summary>
/// <remarks>
/// Session factories (<see cref="IPgSessionFactory"/>) throw it to refuse a session with a specific
/// SQLSTATE, such as <c>3D000</c> for an unknown database.
/// </remarks>
public sealed class PgWireException : MedallionException
{
    /// <summary>Creates the exception with the SQLSTATE the client should see.</summary>
    /// <param name="code">The Medallion error code (9000 range).</param>
    /// <param name="sqlState">Five-character SQLSTATE, e.g. <c>42P01</c>.</param>
    /// <param name="message">What failed and, where it helps, what to do next.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public PgWireException(ErrorCode code, string sqlState, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(sqlState);
        SqlState = sqlState;
    }

    /// <summary>The SQLSTATE sent to the client: this failure's own, finer than its code's.</summary>
    public override string SqlState { get; }

    /// <summary>True when the connection must close after the error is sent (PostgreSQL's FATAL severity).</summary>
    public bool IsFatal { get; init; }
}
