using System;
using System.Collections.Generic;

namespace Medallion.Spark;

/// <summary>Settings of one query or command.</summary>
public sealed record SparkQueryOptions
{
    /// <summary>
    /// Tags the execution carries on the server, so <see cref="SparkConnectClient.InterruptTagAsync"/> can stop every
    /// execution of, say, one run. A tag is not empty and has no ','.
    /// </summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>This query's timeout, in place of <see cref="SparkConnectClientOptions.QueryTimeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }
}
