using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines.ModelSql;

namespace Medallion.Pipelines;

/// <summary>
/// The project's dependency graph: every model's SQL parsed by DuckDB, its table references
/// checked against the project's sources and models, cycles refused, and models ordered into
/// layers that can run in parallel. Also answers <c>--select</c> expressions and carries each
/// model's table- and column-level lineage.
/// </summary>
/// <remarks>
/// Guarantees: every model's references name a source target or another model (else
/// <see cref="ErrorCode.ModelUnknownTable"/> with a suggestion); the graph has no cycle; <see cref="Models"/>
/// lists models so that each comes after everything it reads.
/// </remarks>
public sealed partial class ModelGraph
{
    private readonly Dictionary<TableName, ModelDefinition> _models;
    private readonly Dictionary<TableName, ModelAnalysis> _analyses;
    private readonly Dictionary<TableName, List<TableName>> _downstream;
    private readonly Dictionary<TableName, string> _parses;

    private ModelGraph(MedallionProject project, List<ModelDefinition> ordered, Dictionary<TableName, ModelAnalysis> analyses, Dictionary<TableName, string> parses)
    {
        _parses = parses;
        Project = project;
        Models = ordered;
        _models = ordered.ToDictionary(m => m.Name);
        _analyses = analyses;
        _downstream = project.Tables.ToDictionary(t => t, _ => new List<TableName>());
        foreach (ModelDefinition model in ordered)
        {
            foreach (TableName dependency in analyses[model.Name].Dependencies)
            {
                _downstream[dependency].Add(model.Name);
            }
        }
    }

    /// <summary>The project the graph was built from.</summary>
    public MedallionProject Project { get; }

    /// <summary>Every model, in an order where each comes after the models it reads.</summary>
    public IReadOnlyList<ModelDefinition> Models { get; }

    /// <summary>
    /// Parses every model with DuckDB and builds the graph. Column lineage uses
    /// <paramref name="knownColumns"/> for tables whose columns are known (e.g. bronze tables from the
    /// catalog) and each model's own output columns for the models downstream of it.
    /// </summary>
    /// <param name="project">The loaded project.</param>
    /// <param name="knownColumns">Columns of tables known before the run (sources); may be null.</param>
    /// <param name="parser">A DuckDB connection to parse with (a run has one already); null opens a database of its own.</param>
    /// <param name="cancellationToken">Cancels parsing.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.ModelSqlInvalid"/>, <see cref="ErrorCode.ModelUnknownTable"/> or <see cref="ErrorCode.ModelCycle"/>,
    /// each naming the model file, line and column.
    /// </exception>
    public static async Task<ModelGraph> BuildAsync(
        MedallionProject project,
        IReadOnlyDictionary<TableName, IReadOnlyList<string>>? knownColumns = null,
        DuckDbConnection? parser = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        var nodes = new Dictionary<TableName, JsonElement>();
        var texts = new Dictionary<TableName, SqlText>();
        var parses = new Dictionary<TableName, string>();
        var references = new Dictionary<TableName, List<TableReference>>();
        HashSet<TableName> defined = project.Tables.ToHashSet();
        DuckDbConnection? own = parser is null ? DuckDbEngines.Default.OpenScratch() : null;
        using (own)
        {
            DuckDbConnection connection = parser ?? own!;

            foreach (ModelDefinition model in project.Models)
            {
                var text = new SqlText(model.FilePath, model.Sql);
                JsonElement node = await ModelSqlParser.ParseAsync(connection, model, text, cancellationToken).ConfigureAwait(false);
                var walker = new SelectWalker(new Dictionary<TableName, IReadOnlyList<string>>());
                walker.Walk(node);
                references[model.Name] = walker.References.Select(r => new TableReference(r.Table, r.Location == long.MaxValue ? text.FirstToken() : text.LocationOfByte(r.Location))).ToList();
                foreach (TableReference reference in references[model.Name])
                {
                    CheckReference(model, reference, defined);
                }

                nodes[model.Name] = node;
                texts[model.Name] = text;
                parses[model.Name] = ModelSqlParser.Canonical(node);
            }
        }

        List<ModelDefinition> ordered = TopologicalOrder(project, references);
        var columns = new Dictionary<TableName, IReadOnlyList<string>>(knownColumns ?? new Dictionary<TableName, IReadOnlyList<string>>());
        var analyses = new Dictionary<TableName, ModelAnalysis>();
        foreach (ModelDefinition model in ordered)
        {
            (List<OutputColumn> output, bool complete) = new SelectWalker(columns).Walk(nodes[model.Name]);
            analyses[model.Name] = new ModelAnalysis(model.Name, references[model.Name], output, complete);
            if (complete)
            {
                columns[model.Name] = output.Select(c => c.Name).ToList();
            }
        }

        return new ModelGraph(project, ordered, analyses, parses);
    }

    /// <summary>The model with that name.</summary>
    /// <exception cref="KeyNotFoundException">The project has no such model.</exception>
    public ModelDefinition GetModel(TableName name) => _models[name];

    /// <summary>The model with that name, if the project has one.</summary>
    public bool TryGetModel(TableName name, [NotNullWhen(true)] out ModelDefinition? model) => _models.TryGetValue(name, out model);

    /// <summary>What the model's SQL reads and the lineage of its columns.</summary>
    /// <exception cref="KeyNotFoundException">The project has no such model.</exception>
    public ModelAnalysis GetAnalysis(TableName model) => _analyses[model];

    /// <summary>The model's statement tree as DuckDB parsed it, without positions (<see cref="ModelSqlParser.Canonical"/>).</summary>
    internal string GetParse(TableName model) => _parses[model];

    /// <summary>Whether the table is one of the project's sources or models (the nodes of the graph).</summary>
    public bool ContainsTable(TableName table) => _downstream.ContainsKey(table);

    /// <summary>The tables (sources and models) a table reads directly; empty for a source.</summary>
    public IReadOnlyList<TableName> GetUpstream(TableName table) => _analyses.TryGetValue(table, out ModelAnalysis? analysis) ? analysis.Dependencies : [];

    /// <summary>The models that read a table directly.</summary>
    public IReadOnlyList<TableName> GetDownstream(TableName table) => _downstream.TryGetValue(table, out List<TableName>? downstream) ? downstream : [];

    /// <summary>
    /// Groups the models (all, or those in <paramref name="selection"/>) into layers: every model in a layer
    /// reads only tables from earlier layers or outside the selection, so a layer's models can run in parallel.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<ModelDefinition>> GetLayers(IReadOnlySet<TableName>? selection = null)
    {
        var depth = new Dictionary<TableName, int>();
        foreach (ModelDefinition model in Models)
        {
            if (selection is not null && !selection.Contains(model.Name))
            {
                continue;
            }

            depth[model.Name] = GetUpstream(model.Name).Where(depth.ContainsKey).Select(d => depth[d] + 1).DefaultIfEmpty(0).Max();
        }

        return Models.Where(m => depth.ContainsKey(m.Name))
            .GroupBy(m => depth[m.Name])
            .OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<ModelDefinition>)g.ToList())
            .ToList();
    }

    private static void CheckReference(ModelDefinition model, TableReference reference, HashSet<TableName> defined)
    {
        if (defined.Contains(reference.Table))
        {
            return;
        }

        IEnumerable<string> candidates = defined.Select(t => t.ToString());
        if (reference.Table.Namespace.Length == 0)
        {
            List<TableName> sameName = defined.Where(t => string.Equals(t.Name, reference.Table.Name, StringComparison.OrdinalIgnoreCase)).ToList();
            string hint = sameName.Count > 0
                ? $" Did you mean {string.Join(" or ", sameName)}?"
                : NameSuggester.Closest(reference.Table.Name, defined.Select(t => t.Name)) is { } close ? $" Did you mean {defined.First(t => t.Name == close)}?" : string.Empty;
            throw new MedallionException(
                ErrorCode.ModelUnknownTable,
                $"{reference.Location}: model {model.Name} reads '{reference.Table.Name}' without a namespace.{hint} Expected namespace.table, e.g. bronze.{reference.Table.Name}.",
                location: reference.Location);
        }

        string suggestion = NameSuggester.Closest(reference.Table.ToString(), candidates) is { } best ? $" Did you mean {best}?" : string.Empty;
        throw new MedallionException(
            ErrorCode.ModelUnknownTable,
            $"{reference.Location}: model {model.Name} reads {reference.Table}, which no source or model defines.{suggestion}\nHelp: add a source with 'target: {reference.Table}' or a model models/{reference.Table.Namespace}/{reference.Table.Name}.sql.",
            location: reference.Location);
    }

    private static List<ModelDefinition> TopologicalOrder(MedallionProject project, Dictionary<TableName, List<TableReference>> references)
    {
        var byName = project.Models.ToDictionary(m => m.Name);
        var state = new Dictionary<TableName, bool>(); // false: on the current path; true: done
        var ordered = new List<ModelDefinition>();
        var path = new List<(TableName Model, TableReference? Via)>();

        void Visit(TableName name, TableReference? via)
        {
            if (state.TryGetValue(name, out bool done))
            {
                if (!done)
                {
                    int start = path.FindIndex(p => p.Model.Equals(name));
                    List<(TableName Model, TableReference? Via)> cycle = [.. path.Skip(start), (name, via)];
                    SourceLocation location = cycle[1].Via!.Location;
                    throw new MedallionException(
                        ErrorCode.ModelCycle,
                        $"{location}: models depend on each other in a cycle: {string.Join(" -> ", cycle.Select(c => c.Model))}.\nHelp: a model cannot read itself, directly or through others; break the cycle by removing one of these references.",
                        location: location);
                }

                return;
            }

            state[name] = false;
            path.Add((name, via));
            foreach (TableReference reference in references[name].Where(r => byName.ContainsKey(r.Table)))
            {
                Visit(reference.Table, reference);
            }

            path.RemoveAt(path.Count - 1);
            state[name] = true;
            ordered.Add(byName[name]);
        }

        foreach (ModelDefinition model in project.Models)
        {
            Visit(model.Name, null);
        }

        return ordered;
    }
}
