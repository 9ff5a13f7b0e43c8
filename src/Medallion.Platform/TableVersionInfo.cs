using System;

namespace Medallion.Platform;

/// <summary>One version of a table: from its Delta log, with the run that wrote it from the catalog.</summary>
/// <param name="Version">The Delta version.</param>
/// <param name="Timestamp">When it was committed.</param>
/// <param name="Operation">The commit's operation (WRITE, MERGE, ...).</param>
/// <param name="Rows">Rows in the table after the commit, when known.</param>
/// <param name="RunId">The Medallion run that committed it, when one did.</param>
public sealed record TableVersionInfo(long Version, DateTimeOffset Timestamp, string? Operation, long? Rows, string? RunId);
