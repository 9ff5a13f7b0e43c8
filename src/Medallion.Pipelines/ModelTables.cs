using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;

namespace Medallion.Pipelines;

/// <summary>
/// Where each model's table is in one environment: the one answer to "where is this model's table", asked by the runs
/// that build models (whatever engine runs them), by the SQL sessions that read them and by the janitor.
/// </summary>
/// <remarks>
/// <para>An environment is a set of pointers, model to physical Delta table, kept in the catalog
/// (<see cref="ModelStateRecord.Location"/>). A physical table is named by the model and the fingerprint it was first built
/// with: <c>&lt;namespace storage&gt;/_versions/&lt;name&gt;/&lt;fingerprint&gt;</c>, under the lake, never listed as a table of
/// its own. A pointer is kept relative to its namespace's storage, so a project moved to another folder keeps its
/// environments.</para>
/// <para>Tables built before environments stay where they are: a model with no pointer, or a null one, is at its own
/// location, <c>&lt;namespace storage&gt;/&lt;name&gt;</c>. That is where <c>prod</c> reads and writes each model until a
/// promotion points it elsewhere, so a project with only <c>prod</c> goes on using the same tables and no data moves.
/// Another environment reads what it has not built from <c>prod</c>'s tables (it never writes them: an apply points each
/// model it builds at a physical table of its own first).</para>
/// </remarks>
public sealed class ModelTables
{
    /// <summary>The folder under a namespace's storage that holds the physical tables of model versions.</summary>
    public const string VersionsFolder = "_versions";

    private readonly MedallionProject _project;
    private readonly Dictionary<TableName, string?> _pointers;
    private readonly Dictionary<TableName, string?> _builtBy;
    private readonly HashSet<TableName> _own;

    private ModelTables(MedallionProject project, string environment, Dictionary<TableName, string?> pointers, Dictionary<TableName, string?> builtBy, HashSet<TableName> own)
    {
        _project = project;
        Environment = environment;
        _pointers = pointers;
        _builtBy = builtBy;
        _own = own;
    }

    /// <summary>The environment.</summary>
    public string Environment { get; }

    /// <summary>Every model at its own location, as <c>prod</c> holds it before any promotion (code with no catalog).</summary>
    public static ModelTables OwnLocations(MedallionProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return new ModelTables(project, EnvironmentStore.Production, [], [], []);
    }

    /// <summary>The tables of <paramref name="environment"/> as the catalog points at them now; what it does not hold, <c>prod</c>'s.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/> for a name that is no environment's.</exception>
    public static async Task<ModelTables> LoadAsync(MedallionProject project, CatalogStore catalog, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(catalog);
        EnvironmentStore.CheckName(environment);
        var pointers = new Dictionary<TableName, string?>();
        var builtBy = new Dictionary<TableName, string?>();
        var own = new HashSet<TableName>();
        IEnumerable<string> layers = environment == EnvironmentStore.Production ? [environment] : [EnvironmentStore.Production, environment];
        foreach (string layer in layers)
        {
            foreach (ModelPointer pointer in await catalog.Environments.GetModelPointersAsync(layer, cancellationToken).ConfigureAwait(false))
            {
                pointers[pointer.Model] = pointer.Location;
                builtBy[pointer.Model] = pointer.RunId;
                if (layer == environment && (environment == EnvironmentStore.Production || pointer.Location is not null))
                {
                    own.Add(pointer.Model);
                }
            }
        }

        return new ModelTables(project, environment, pointers, builtBy, own);
    }

    /// <summary>These tables with <paramref name="pointers"/> (model to location relative to its namespace's storage) in place of the environment's own.</summary>
    public ModelTables With(IReadOnlyDictionary<TableName, string?> pointers)
    {
        ArgumentNullException.ThrowIfNull(pointers);
        var combined = new Dictionary<TableName, string?>(_pointers);
        var builtBy = new Dictionary<TableName, string?>(_builtBy);
        var own = new HashSet<TableName>(_own);
        foreach ((TableName model, string? location) in pointers)
        {
            combined[model] = location;
            builtBy.Remove(model);
            own.Add(model);
        }

        return new ModelTables(_project, Environment, combined, builtBy, own);
    }

    /// <summary>
    /// The location of the table a run in this environment may write for <paramref name="model"/>: any in <c>prod</c>; in
    /// another environment only a table of its own (an apply's, or a clone), never one it reads from <c>prod</c>.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentTableNotOwn"/> when the environment reads the model from prod.</exception>
    public string WritableLocation(TableName model)
    {
        if (Environment != EnvironmentStore.Production && (!_own.Contains(model) || Pointer(model) is null))
        {
            throw new MedallionException(
                ErrorCode.EnvironmentTableNotOwn,
                $"A run in environment '{Environment}' would write {model}, which it reads from prod's table: an environment writes only tables of its own.\nHelp: medallion apply --env {Environment} gives a changed model a table of its own.");
        }

        return Location(model);
    }

    /// <summary>The location (absolute path or URI) of <paramref name="table"/>'s Delta table in this environment.</summary>
    public string Location(TableName table) => Resolve(_project, table, Pointer(table));

    /// <summary>
    /// The location of the table that keeps the rows <paramref name="model"/>'s quality rules quarantine: beside the
    /// model's physical table when the environment points it at one, so an environment's builds never write another's.
    /// </summary>
    public string QuarantineLocation(TableName model)
    {
        TableName quarantine = Quality.QuarantineTable.Of(model);
        return Pointer(model) is { } pointer ? Resolve(_project, quarantine, pointer + Quality.QuarantineTable.Suffix) : Location(quarantine);
    }

    /// <summary>
    /// The run that last built the physical table <paramref name="table"/> is pointed at, when it is not at its own location
    /// (a promotion points an environment at a table another environment's run built): where an incremental build of it
    /// resumes. Null when it is at its own location or the run is unknown.
    /// </summary>
    public string? BuiltBy(TableName table) => Pointer(table) is null ? null : _builtBy.GetValueOrDefault(table);

    /// <summary>
    /// Whether the environment reads <paramref name="model"/> from a table of its own (one it built, or one promoted to it)
    /// rather than from <c>prod</c>'s: whose runs built the table it reads.
    /// </summary>
    public bool IsOwn(TableName model) => Environment == EnvironmentStore.Production || _own.Contains(model);

    /// <summary>The pointer of <paramref name="table"/>, relative to its namespace's storage; null for its own location.</summary>
    public string? Pointer(TableName table) => _pointers.GetValueOrDefault(table);

    /// <summary>The models pointed at a physical table other than their own location, with that table's location.</summary>
    public IEnumerable<(TableName Model, string Location)> Relocated =>
        _pointers.Where(p => p.Value is not null).Select(p => (p.Key, Resolve(_project, p.Key, p.Value)));

    /// <summary>The pointer (relative to its namespace's storage) of the physical table for <paramref name="model"/> built with <paramref name="fingerprint"/>.</summary>
    public static string VersionPointer(TableName model, string fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        return $"{VersionsFolder}/{model.Name.ToLowerInvariant()}/{fingerprint[..Math.Min(16, fingerprint.Length)]}";
    }

    /// <summary>The location <paramref name="pointer"/> names for <paramref name="table"/>: its own location when null.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogCorrupt"/> when the pointer would leave the namespace's storage.</exception>
    public static string Resolve(MedallionProject project, TableName table, string? pointer)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (pointer is null)
        {
            return ProjectCatalog.TableLocation(project, table);
        }

        string[] segments = pointer.Split('/');
        if (segments.Any(s => s.Length == 0 || s is "." or ".." || !s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            throw new MedallionException(
                ErrorCode.CatalogCorrupt,
                $"The catalog points {table} at '{pointer}', which is no table under its namespace's storage.\nHelp: point the environment at a table again with medallion apply.");
        }

        return segments.Aggregate(ProjectCatalog.NamespaceLocation(project, table.Namespace), ProjectCatalog.Under);
    }
}
