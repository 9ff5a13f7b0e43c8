using System;
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
    /// <exception cref="MedallionException"><see cref="ErrorCode.ModelSelectionInvalid"/> when a part matches no model, with a suggestion.</exception>
    public IReadOnlySet<TableName> Select(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return Models.Select(m => m.Name).ToHashSet();
        }

        var selected = new HashSet<TableName>();
        foreach (string term in expression.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            HashSet<TableName>? intersection = null;
            foreach (string part in term.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                HashSet<TableName> matched = SelectPart(part);
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

    private HashSet<TableName> SelectPart(string part)
    {
        bool upstream = part.StartsWith('+');
        bool downstream = part.EndsWith('+') && part.Length > 1;
        string core = part.Trim('+');
        HashSet<TableName> matched = Match(part, core);
        var result = new HashSet<TableName>(matched);
        if (upstream)
        {
            Walk(matched, GetUpstream, result);
        }

        if (downstream)
        {
            Walk(matched, GetDownstream, result);
        }

        result.IntersectWith(_models.Keys);
        return result;
    }

    private HashSet<TableName> Match(string part, string core)
    {
        if (core.StartsWith("tag:", StringComparison.OrdinalIgnoreCase))
        {
            string tag = core[4..];
            HashSet<TableName> tagged = Models.Where(m => m.Config.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase)).Select(m => m.Name).ToHashSet();
            if (tagged.Count == 0)
            {
                IEnumerable<string> tags = Models.SelectMany(m => m.Config.Tags).Distinct(StringComparer.OrdinalIgnoreCase);
                throw SelectionError(part, $"no model has the tag '{tag}'.{NameSuggester.DidYouMean(tag, tags)}");
            }

            return tagged;
        }

        if (core.EndsWith(".*", StringComparison.Ordinal))
        {
            string ns = core[..^2];
            HashSet<TableName> inNamespace = Models.Where(m => string.Equals(m.Name.Namespace, ns, StringComparison.OrdinalIgnoreCase)).Select(m => m.Name).ToHashSet();
            if (inNamespace.Count == 0)
            {
                IEnumerable<string> namespaces = Models.Select(m => m.Name.Namespace).Distinct(StringComparer.OrdinalIgnoreCase);
                throw SelectionError(part, $"no model is in namespace '{ns}'.{NameSuggester.DidYouMean(ns, namespaces)}");
            }

            return inNamespace;
        }

        // Sources can anchor a graph walk (bronze.orders+), so they match here too; a bare name prefers models.
        List<TableName> all = [.. Project.Tables];
        List<TableName> named = TableName.TryParse(core, out TableName full)
            ? all.Where(t => t.Equals(full)).ToList()
            : all.Where(t => string.Equals(t.Name, core, StringComparison.OrdinalIgnoreCase)).ToList();
        if (named.Count > 1 && named.Any(_models.ContainsKey))
        {
            named = named.Where(_models.ContainsKey).ToList();
        }

        if (named.Count > 1)
        {
            throw SelectionError(part, $"'{core}' is ambiguous: {string.Join(", ", named)}. Write it as namespace.name.");
        }

        return named.Count == 1
            ? [named[0]]
            : throw SelectionError(part, $"no model or source is named '{core}'.{NameSuggester.DidYouMean(core, all.Select(t => t.ToString()).Concat(all.Select(t => t.Name)))}");
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

    private static MedallionException SelectionError(string part, string message) =>
        new(ErrorCode.ModelSelectionInvalid, $"--select '{part}': {message}\nHelp: select with model names (silver.orders), namespaces (silver.*), tags (tag:daily), and + for upstream/downstream.");
}
