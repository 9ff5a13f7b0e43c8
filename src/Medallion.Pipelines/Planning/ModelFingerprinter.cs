using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Threading;
using Medallion.Catalog;

namespace Medallion.Pipelines.Planning;

/// <summary>
/// Computes the fingerprints of a graph's models as they are asked for, each once, with the models it reads first: a run
/// that builds one model of a large project hashes that model and its upstream, not every model (see
/// <see cref="ModelFingerprints"/> for what a fingerprint covers). Safe to share between the steps of a run.
/// </summary>
/// <param name="graph">The project's parsed models.</param>
/// <param name="variables">The run's variables; a variable a model reads and the run does not set counts as unset.</param>
internal sealed class ModelFingerprinter(ModelGraph graph, IReadOnlyDictionary<string, object?>? variables)
{
    private readonly IReadOnlyDictionary<string, object?> _variables = variables ?? new Dictionary<string, object?>();
    private readonly Dictionary<TableName, ModelFingerprint> _computed = [];
    private readonly Lock _lock = new();
    private Dictionary<TableName, string>? _sources;

    /// <summary>The fingerprint of <paramref name="table"/>; false when it is not one of the graph's models.</summary>
    public bool TryGet(TableName table, [NotNullWhen(true)] out ModelFingerprint? fingerprint)
    {
        if (!graph.TryGetModel(table, out _))
        {
            fingerprint = null;
            return false;
        }

        fingerprint = Of(table);
        return true;
    }

    /// <summary>The fingerprint of model <paramref name="model"/>.</summary>
    /// <exception cref="KeyNotFoundException">The graph has no such model.</exception>
    public ModelFingerprint Of(TableName model)
    {
        lock (_lock)
        {
            return Compute(model);
        }
    }

    // Recursion follows the graph's edges, which form no cycle (the graph refuses one), and is as deep as the graph.
    private ModelFingerprint Compute(TableName name)
    {
        if (_computed.TryGetValue(name, out ModelFingerprint? known))
        {
            return known;
        }

        ModelDefinition model = graph.GetModel(name);
        string parse = graph.GetParse(name);
        List<string> used = ModelFingerprints.UsedVariables(parse);
        string definition = ModelFingerprints.DefinitionHash(parse, model.Config, used, _variables);
        string fingerprint = ModelFingerprints.Fingerprint(definition, graph.GetUpstream(name).Select(upstream => KeyValuePair.Create(upstream, UpstreamFingerprint(upstream))));
        var result = new ModelFingerprint(name, fingerprint, definition, ModelFingerprints.MetadataHash(model.Config), used);
        _computed[name] = result;
        return result;
    }

    private string UpstreamFingerprint(TableName table)
    {
        if (graph.TryGetModel(table, out _))
        {
            return Compute(table).Fingerprint;
        }

        _sources ??= ModelFingerprints.SourceHashes(graph.Project);
        return _sources.GetValueOrDefault(table, string.Empty);
    }
}
