using System;
using System.Threading;
using System.Threading.Tasks;
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

/// <summary>Reads one source result row by row into a DuckDB appender; one per stream, owning its connection.</summary>
internal interface IRowReader : IAsyncDisposable
{
    ValueTask<RowOutcome> ReadRowAsync(DuckDbAppender appender, CancellationToken cancellationToken);
}
