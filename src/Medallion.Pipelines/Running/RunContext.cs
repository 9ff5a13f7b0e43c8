using System;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Running;

/// <summary>What every step of one run shares. The database is shared; each step opens its own connection on it.</summary>
internal sealed record RunContext(
    ModelGraph Graph,
    CatalogStore Catalog,
    DuckDbDatabase Database,
    string RunId,
    RunOptions Options,
    TimeProvider Time,
    DateTimeOffset StartedAt,
    ISourceLoader Sources,
    IQualityGate Quality)
{
    public MedallionProject Project => Graph.Project;
}
