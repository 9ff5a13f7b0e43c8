using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Pipelines.Running;

/// <summary>
/// One step of a run (a file source, a database table, an HTTP API source, or a model), the steps whose success it needs
/// (<see cref="WaitsFor"/>: what it reads), and the steps it only runs after, whatever their outcome
/// (<see cref="RunsAfter"/>: tables its relationships rules check).
/// </summary>
internal sealed record RunStep(TableName Table, StepKind Kind, IReadOnlyList<TableName> WaitsFor, SourceDefinition? Source, ModelDefinition? Model, DatabaseStep? Database = null, ApiSourceDefinition? Api = null)
{
    public IReadOnlyList<TableName> RunsAfter { get; init; } = [];
}
