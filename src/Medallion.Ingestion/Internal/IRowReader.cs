using System;
using Medallion.DuckDb;

namespace Medallion.Ingestion.Internal;

/// <summary>What happened to one source row.</summary>
internal enum RowOutcome
{
    /// <summary>The source has no more rows.</summary>
    End,
    /// <summary>The row was appended to the batch.</summary>
    Appended,
    /// <summary>The row was delivered by an earlier run (the cursor boundary) and was skipped.</summary>
    Skipped,
}

/// <summary>
/// Reads one source result row by row into a DuckDB appender; one per stream, owning its connection.
/// </summary>
/// <remarks>
/// Reads are synchronous: a row is a dozen small values, and awaiting each one costs more than decoding it. The
/// stream runs them on a thread of its own, and <see cref="Cancel"/> (callable from any thread) ends a read that
/// waits on the network.
/// </remarks>
internal interface IRowReader : IAsyncDisposable
{
    RowOutcome ReadRow(DuckDbAppender appender);

    /// <summary>Asks the server to stop sending; the read in progress then fails.</summary>
    void Cancel();
}
