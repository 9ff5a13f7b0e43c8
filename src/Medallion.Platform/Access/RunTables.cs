using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Quality;

namespace Medallion.Platform.Access;

/// <summary>
/// The tables each step of a run read or wrote (the step's table, its quarantine table, the tables its model reads), which
/// decide who may see the step's errors and log lines: they may quote any value of those tables.
/// </summary>
public sealed class RunTables
{
    private readonly ModelGraph _graph;
    private readonly Func<TableName, bool> _exists;

    private RunTables(ModelGraph graph, Func<TableName, bool> exists, IEnumerable<TableName> steps)
    {
        _graph = graph;
        _exists = exists;
        All = steps.SelectMany(Step).ToHashSet();
    }

    /// <summary>Every table of every step of the run.</summary>
    public IReadOnlyCollection<TableName> All { get; }

    /// <summary>The tables of a run made of <paramref name="steps"/>.</summary>
    /// <param name="graph">The project's models, for what each model reads.</param>
    /// <param name="exists">Whether a table exists (a model's quarantine table exists once it quarantined rows).</param>
    /// <param name="steps">The run's steps (models and source targets).</param>
    public static RunTables Of(ModelGraph graph, Func<TableName, bool> exists, IEnumerable<TableName> steps)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(exists);
        ArgumentNullException.ThrowIfNull(steps);
        return new RunTables(graph, exists, steps);
    }

    /// <summary>The tables the step building <paramref name="step"/> read or wrote.</summary>
    public IReadOnlyCollection<TableName> Step(TableName step)
    {
        var tables = new HashSet<TableName> { step };
        tables.UnionWith(_graph.GetUpstream(step));
        if (_exists(QuarantineTable.Of(step)))
        {
            tables.Add(QuarantineTable.Of(step));
        }

        return tables;
    }
}
