using System.Collections.Generic;

namespace Medallion.Spark;

/// <summary>
/// The whole result of a Spark query, held in memory: its columns and its rows. For results too large to hold, read
/// <see cref="SparkConnectClient.SqlBatchesAsync"/> instead.
/// </summary>
/// <param name="OperationId">The execution's operation id on the server.</param>
/// <param name="Schema">The result's columns.</param>
/// <param name="Rows">The rows, each with one value per column: null, or a .NET value of the Arrow type (long, double, string, decimal, DateOnly, DateTimeOffset, byte[], lists, dictionaries for structs).</param>
public sealed record SparkResult(string OperationId, IReadOnlyList<SparkField> Schema, IReadOnlyList<IReadOnlyList<object?>> Rows);
