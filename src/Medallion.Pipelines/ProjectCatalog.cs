using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine;
using Medallion.Engine.Sessions;

namespace Medallion.Pipelines;

/// <summary>Writes what the project files declare into the catalog: tables with their docs and tags, and each model's lineage.</summary>
public static class ProjectCatalog
{
    /// <summary>
    /// The location of a table under the project's storage: <c>&lt;storage&gt;/&lt;namespace&gt;/&lt;name&gt;</c>, or
    /// <c>&lt;namespace storage&gt;/&lt;name&gt;</c> for a namespace with a location of its own; absolute for local
    /// storage and a URI for object stores.
    /// </summary>
    public static string TableLocation(MedallionProject project, TableName table) =>
        Under(NamespaceLocation(project, table.Namespace), table.Name.ToLowerInvariant());

    /// <summary>Where the tables of namespace <paramref name="ns"/> live: <c>&lt;storage&gt;/&lt;namespace&gt;</c>, or the namespace's own location.</summary>
    public static string NamespaceLocation(MedallionProject project, string ns)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(ns);
        ns = ns.ToLowerInvariant();
        return project.NamespaceStorage.TryGetValue(ns, out string? own) ? project.Resolve(own) : Under(project.Resolve(project.Storage), ns);
    }

    /// <summary>The tables of the project's storage, every namespace's own location included.</summary>
    public static DirectoryTableLocator Tables(MedallionProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return new DirectoryTableLocator(project.Resolve(project.Storage), project.NamespaceStorage.ToDictionary(n => n.Key, n => project.Resolve(n.Value)), project.Stores);
    }

    /// <summary>
    /// The local folders a SQL session over the project may read data files from: each local storage location, and
    /// the object cache when a location is on an object store (its files are read from their cached copies).
    /// </summary>
    public static IReadOnlyList<string> ServingDirectories(MedallionProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.NamespaceStorage.Values.Prepend(project.Storage)
            .Select(project.Resolve)
            .Select(root => StorageResolver.IsUri(root) ? project.Stores.Cache.Directory : root)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    internal static string Under(string root, string name) =>
        StorageResolver.IsUri(root) ? $"{root.TrimEnd('/')}/{name}" : System.IO.Path.Combine(root, name);

    /// <summary>
    /// Registers every source target and model table (description, owner, tags, location) and replaces each
    /// model's lineage edges with those parsed from its SQL. The project files are the source of truth:
    /// a registration's docs are overwritten with what the files say now.
    /// </summary>
    public static Task RegisterAsync(ModelGraph graph, CatalogStore catalog, CancellationToken cancellationToken = default) =>
        RegisterAsync(graph, catalog, EnvironmentStore.Production, cancellationToken);

    /// <summary>
    /// Registers the project's tables as <see cref="RegisterAsync(ModelGraph, CatalogStore, CancellationToken)"/> does, for a run
    /// in <paramref name="environment"/>. Only <c>prod</c> overwrites what the catalog holds: the docs, tags and unique keys
    /// its readers see (the SQL endpoint, the open catalog's clients) are prod's, so another environment's run registers the
    /// tables the catalog does not know yet (a model new in it) and leaves the others as they are; and the lineage edges are
    /// replaced for <c>prod</c> only (of the physical tables prod reads), since another environment's lineage is recorded of
    /// each table it builds, as it builds it.
    /// </summary>
    public static async Task RegisterAsync(ModelGraph graph, CatalogStore catalog, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(catalog);
        MedallionProject project = graph.Project;
        bool production = environment == EnvironmentStore.Production;
        Task Register(CatalogTable table) => production
            ? catalog.Tables.UpsertTableAsync(table, cancellationToken)
            : catalog.Tables.AddTableIfAbsentAsync(table, cancellationToken);

        foreach (SourceDefinition source in project.Sources)
        {
            await Register(new CatalogTable(source.Target, TableLocation(project, source.Target), Description: source.Description)).ConfigureAwait(false);
        }

        foreach (DatabaseSourceDefinition source in project.DatabaseSources)
        {
            foreach (DatabaseTableDefinition table in source.Tables)
            {
                await Register(new CatalogTable(table.Target, TableLocation(project, table.Target), Description: source.Description)).ConfigureAwait(false);
            }
        }

        foreach (ApiSourceDefinition source in project.ApiSources)
        {
            await Register(new CatalogTable(source.Target, TableLocation(project, source.Target), Description: source.Description)).ConfigureAwait(false);
        }

        foreach (EndpointSourceDefinition source in project.EndpointSources)
        {
            await Register(new CatalogTable(source.Target, TableLocation(project, source.Target), Description: source.Description)).ConfigureAwait(false);
        }

        foreach (KafkaSourceDefinition source in project.KafkaSources)
        {
            await Register(new CatalogTable(source.Target, TableLocation(project, source.Target), Description: source.Description)).ConfigureAwait(false);
        }

        foreach (ModelDefinition model in graph.Models)
        {
            ModelConfig config = model.Config;
            await Register(
                new CatalogTable(model.Name, TableLocation(project, model.Name), Description: config.Description, Owner: config.Owner, Tags: config.Tags)
                {
                    UniqueKey = UniqueKeyOf(config),
                }).ConfigureAwait(false);
            if (production)
            {
                await catalog.Tables.ReplaceLineageAsync(model.Name, graph.GetAnalysis(model.Name).LineageEdges, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What identifies a row of the model's table: a merge's unique key; in SCD2 history, the key and the start of each version.</summary>
    private static IReadOnlyList<string> UniqueKeyOf(ModelConfig config) => config.Materialized switch
    {
        Materialization.Merge => config.UniqueKey,
        Materialization.Scd2 => [.. config.UniqueKey, Running.ModelBuilder.ValidFrom],
        _ => [],
    };
}
