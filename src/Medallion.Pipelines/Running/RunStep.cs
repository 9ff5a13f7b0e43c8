using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Pipelines.Running;

/// <summary>One step of a run and the steps it waits for.</summary>
internal sealed record RunStep(TableName Table, StepKind Kind, IReadOnlyList<TableName> WaitsFor, SourceDefinition? Source, ModelDefinition? Model);
