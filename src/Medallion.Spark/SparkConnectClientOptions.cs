using System;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Spark;

/// <summary>How a <see cref="SparkConnectClient"/> behaves beyond what its connection string says.</summary>
public sealed record SparkConnectClientOptions
{
    /// <summary>The client type each request names when the connection string has no <c>user_agent</c>.</summary>
    public string ClientType { get; init; } = "medallion";

    /// <summary>
    /// How long one query or command may run before it is interrupted on the server, and the deadline of each other call
    /// (schema, config, interrupt); null for no limit.
    /// </summary>
    public TimeSpan? QueryTimeout { get; init; }

    /// <summary>
    /// How many times in a row a broken result stream is reattached without receiving a response in between before the
    /// query fails as unavailable.
    /// </summary>
    public int MaxReattachAttempts { get; init; } = 5;

    /// <summary>Where the client logs executions, reattaches and interrupts (never a token).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>How long an interrupt or release sent after a cancel or a timeout may take.</summary>
    public TimeSpan CleanupTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
