using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Pipelines;

public sealed partial class ModelGraph
{
    /// <summary>
    /// The models a <c>--select</c> expression names (dbt's syntax). Space-separated terms are unioned;
    /// comma-separated parts of one term are intersected. A part is <c>silver.orders</c> (or
    /// <c>orders</c> when one model, or else one source, has that name), <c>silver.*</c> (a namespace), or <c>tag:daily</c>;
    /// a leading <c>+</c> adds everything upstream, a trailing <c>+</c> everything downstream.
    /// Null or blank selects every model.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ModelSelectionInvalid"/> when a part matches no model or source, with a suggestion.</exception>
    public IReadOnlySet<TableName> Select(string? expression) => Selection(expression).Models;

    /// <summary>
    /// The source tables (file, database and API sources' targets) a <c>--select</c> expression names, as
    /// <see cref="Select"/> reads it: a source is a node of the graph like a model (<c>bronze.orders</c>, <c>bronze.*</c>,
    /// <c>+silver.orders</c>). Null or blank selects every source, so a plain run loads them all, read by a model or not.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ModelSelectionInvalid"/> when a part matches no model or source, with a suggestion.</exception>
    public IReadOnlySet<TableName> SelectSources(string? expression) => Selection(expression).Sources;

    private (IReadOnlySet<TableName> Models, IReadOnlySet<TableName> Sources) Selection(string? expression)
    {
        string key = expression?.Trim() ?? string.Empty;
        // The graph never changes, and a server selects each job's models at every run: remember the answers.
        if (_selections.TryGetValue(key, out (IReadOnlySet<TableName> Models, IReadOnlySet<TableName> Sources) remembered))
        {
            return remembered;
        }

        HashSet<TableName> tables = key.Length == 0 ? [.. _downstream.Keys] : SelectUncached(key);
        // Read-only: every caller shares the sets.
        (IReadOnlySet<TableName> Models, IReadOnlySet<TableName> Sources) selected = (
            new System.Collections.ObjectModel.ReadOnlySet<TableName>(tables.Where(_models.ContainsKey).ToHashSet()),
            new System.Collections.ObjectModel.ReadOnlySet<TableName>(tables.Where(t => !_models.ContainsKey(t)).ToHashSet()));
        if (_selections.Count < MaxRememberedSelections)
        {
            _selections[key] = selected;
        }

        return selected;
    }

    /// <summary>
    /// The models and sources a <c>--select</c> expression names, as <see cref="Select"/> and <see cref="SelectSources"/>
    /// read it together, for someone who sees only the tables <paramref name="visible"/> accepts: a part that names only
    /// tables they do not see matches nothing, the suggestions of an error name only tables, namespaces and tags they
    /// see, and <c>+</c> walks the whole graph but answers only the visible tables it reaches, so neither the answer nor
    /// its error tells them that a hidden table exists.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ModelSelectionInvalid"/> when a part matches no visible model or source, with a suggestion among those.</exception>
    public IReadOnlySet<TableName> SelectAmong(string expression, Func<TableName, bool> visible)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(visible);
        HashSet<TableName> selected = SelectUncached(expression.Trim(), visible);
        selected.RemoveWhere(t => !visible(t));
        return selected;
    }

    private const int MaxRememberedSelections = 10_000;
    private readonly ConcurrentDictionary<string, (IReadOnlySet<TableName> Models, IReadOnlySet<TableName> Sources)> _selections = new(StringComparer.Ordinal);

    private HashSet<TableName> SelectUncached(string expression, Func<TableName, bool>? visible = null)
    {
        var selected = new HashSet<TableName>();
        foreach (string term in expression.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            HashSet<TableName>? intersection = null;
            foreach (string part in term.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                HashSet<TableName> matched = SelectPart(part, visible);
                if (intersection is null)
                {
                    intersection = matched;
                }
                else
                {
                    intersection.IntersectWith(matched);
                }
            }

            selected.UnionWith(intersection ?? []);
        }

        return selected;
    }

    /// <summary>
    /// Checks that every part of <paramref name="expression"/> names something in <paramref name="project"/>, without
    /// parsing any SQL (a job file is checked when the project loads, before the graph exists).
    /// </summary>
    /// <returns>Null when it does; else what is wrong, e.g. <c>'silver.ordrs': no model or source is named 'silver.ordrs'. Did you mean 'silver.orders'?</c></returns>
    internal static string? FindSelectionProblem(MedallionProject project, string expression)
    {
        foreach (string part in expression.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                Match([.. project.Tables], project.Models, part.Trim('+'));
            }
            catch (SelectionException exception)
            {
                return $"'{part}': {exception.Problem}";
            }
        }

        return null;
    }

    private HashSet<TableName> SelectPart(string part, Func<TableName, bool>? visible)
    {
        bool upstream = part.StartsWith('+');
        bool downstream = part.EndsWith('+') && part.Length > 1;
        string core = part.Trim('+');
        HashSet<TableName> matched;
        try
        {
            matched = visible is null
                ? Match([.. Project.Tables], Project.Models, core)
                : Match([.. Project.Tables.Where(visible)], [.. Project.Models.Where(m => visible(m.Name))], core);
        }
        catch (SelectionException exception)
        {
            throw SelectionError(part, exception.Problem);
        }

        var result = new HashSet<TableName>(matched);
        if (upstream)
        {
            Walk(matched, GetUpstream, result);
        }

        if (downstream)
        {
            Walk(matched, GetDownstream, result);
        }

        return result;
    }

    /// <summary>The tables one part names among <paramref name="tables"/> (models and sources) and <paramref name="models"/>.</summary>
    private static HashSet<TableName> Match(IReadOnlyList<TableName> tables, IReadOnlyList<ModelDefinition> models, string core)
    {
        if (core.StartsWith("tag:", StringComparison.OrdinalIgnoreCase))
        {
            string tag = core[4..];
            HashSet<TableName> tagged = models.Where(m => m.Config.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase)).Select(m => m.Name).ToHashSet();
            if (tagged.Count == 0)
            {
                IEnumerable<string> tags = models.SelectMany(m => m.Config.Tags).Distinct(StringComparer.OrdinalIgnoreCase);
                throw new SelectionException($"no model has the tag '{tag}'.{NameSuggester.DidYouMean(tag, tags)}");
            }

            return tagged;
        }

        if (core.EndsWith(".*", StringComparison.Ordinal))
        {
            string ns = core[..^2];
            HashSet<TableName> inNamespace = tables.Where(t => string.Equals(t.Namespace, ns, StringComparison.OrdinalIgnoreCase)).ToHashSet();
            if (inNamespace.Count == 0)
            {
                IEnumerable<string> namespaces = tables.Select(t => t.Namespace).Distinct(StringComparer.OrdinalIgnoreCase);
                throw new SelectionException($"no model or source is in namespace '{ns}'.{NameSuggester.DidYouMean(ns, namespaces)}");
            }

            return inNamespace;
        }

        // Sources can anchor a graph walk (bronze.orders+), so they match here too; a bare name prefers models.
        IReadOnlyList<TableName> all = tables;
        HashSet<TableName> modelNames = models.Select(m => m.Name).ToHashSet();
        List<TableName> named = TableName.TryParse(core, out TableName full)
            ? all.Where(t => t.Equals(full)).ToList()
            : all.Where(t => string.Equals(t.Name, core, StringComparison.OrdinalIgnoreCase)).ToList();
        if (named.Count > 1 && named.Any(modelNames.Contains))
        {
            named = named.Where(modelNames.Contains).ToList();
        }

        if (named.Count > 1)
        {
            throw new SelectionException($"'{core}' is ambiguous: {string.Join(", ", named)}. Write it as namespace.name.");
        }

        return named.Count == 1
            ? [named[0]]
            : throw new SelectionException($"no model or source is named '{core}'.{NameSuggester.DidYouMeanTable(core, all.Select(t => t.ToString()))}");
    }

    private static void Walk(IEnumerable<TableName> start, Func<TableName, IReadOnlyList<TableName>> next, HashSet<TableName> into)
    {
        var pending = new Stack<TableName>(start);
        while (pending.TryPop(out TableName table))
        {
            foreach (TableName neighbour in next(table))
            {
                if (into.Add(neighbour))
                {
                    pending.Push(neighbour);
                }
            }
        }
    }

    /// <summary>What is wrong with one part of a selection; callers add where the selection was written.</summary>
    private sealed class SelectionException(string problem) : Exception(problem)
    {
        public string Problem { get; } = problem;
    }

    private static MedallionException SelectionError(string part, string message) =>
        new(ErrorCode.ModelSelectionInvalid, $"Selection '{part}': {message}\nHelp: select with model names (silver.orders), namespaces (silver.*), tags (tag:daily), and + for upstream/downstream.");
}
