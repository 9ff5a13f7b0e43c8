using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Pipelines.Running;

/// <summary>One step of a run and the steps it waits for: a file source, a database table, or a model.</summary>
internal sealed record RunStep(TableName Table, StepKind Kind, IReadOnlyList<TableName> WaitsFor, SourceDefinition? Source, ModelDefinition? Model, DatabaseStep? Database = null);
