using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine;
using Medallion.Pipelines.Alerts;
using Medallion.Pipelines.ProjectFiles;
using Medallion.Storage;

namespace Medallion.Pipelines;

/// <summary>
/// A Medallion project as written by its users: <c>medallion.yml</c> (name, storage, catalog,
/// connections, jobs), <c>sources/*.yml</c> (files into bronze tables), <c>jobs/*.yml</c> (schedules and triggers) and <c>models/&lt;namespace&gt;/&lt;name&gt;.sql</c>
/// (SELECT models with their configuration). Loading validates shapes and keys; SQL is analysed by
/// <see cref="ModelGraph"/>.
/// </summary>
public sealed class MedallionProject
{
    internal MedallionProject(
        string directory,
        string name,
        string? description,
        string storage,
        string catalog,
        IReadOnlyDictionary<string, ConnectionDefinition> connections,
        IReadOnlyList<SourceDefinition> sources,
        IReadOnlyList<ModelDefinition> models)
    {
        Directory = directory;
        Name = name;
        Description = description;
        Storage = storage;
        Catalog = catalog;
        Connections = connections;
        Sources = sources;
        Models = models;
    }

    /// <summary>The project file's name, <c>medallion.yml</c>.</summary>
    public const string FileName = ProjectLoader.ProjectFileName;

    /// <summary>The project directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>The project's name.</summary>
    public string Name { get; }

    /// <summary>What the project is for.</summary>
    public string? Description { get; }

    /// <summary>Where tables live: a path (relative to the project unless absolute) or an object-store URI such as <c>s3://bucket/prefix</c>. Default <c>warehouse</c>.</summary>
    public string Storage { get; }

    /// <summary>
    /// Namespaces whose tables live elsewhere than <see cref="Storage"/> (<c>storage: {default: ..., bronze: ...}</c>):
    /// each namespace's location (a path relative to the project unless absolute, or a URI), which holds its tables
    /// directly (<c>&lt;location&gt;/&lt;table&gt;</c>). Empty when every namespace is under <see cref="Storage"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> NamespaceStorage { get; internal init; } = new Dictionary<string, string>();

    /// <summary>
    /// The <c>storage_options</c> setting, with <c>${ENV}</c> references resolved: settings of the stores under
    /// <see cref="Storage"/> by their standard variable names (<c>AWS_ENDPOINT_URL</c>, <c>AZURE_STORAGE_CONNECTION_STRING</c>,
    /// ...), which take precedence over the environment. Never written to the catalog or logs.
    /// </summary>
    public IReadOnlyDictionary<string, string> StorageOptions { get; internal init; } = new Dictionary<string, string>();

    /// <summary>The <c>cache</c> setting: the local cache for tables on object stores, or null for the default (see <see cref="StorageResolver.DefaultCache"/>).</summary>
    public ObjectCache? Cache { get; internal init; }

    /// <summary>
    /// The catalog: a SQLite file path (relative to the project unless absolute) or a PostgreSQL database as a
    /// <c>postgres://</c> URL. <see cref="CatalogVariable"/> when set, else <c>catalog</c> in <c>medallion.yml</c>, else
    /// <c>.medallion/catalog.db</c>.
    /// </summary>
    public string Catalog { get; }

    /// <summary>The environment variable that, when set, names the catalog in place of <c>catalog</c> in <c>medallion.yml</c>.</summary>
    public const string CatalogVariable = "MEDALLION_CATALOG_URL";

    /// <summary>Named connections, with <c>${ENV}</c> references resolved.</summary>
    public IReadOnlyDictionary<string, ConnectionDefinition> Connections { get; }

    /// <summary>File sources, in file order.</summary>
    public IReadOnlyList<SourceDefinition> Sources { get; }

    /// <summary>Database sources (entries of <c>sources/*.yml</c> with a <c>connection</c>), in file order.</summary>
    public IReadOnlyList<DatabaseSourceDefinition> DatabaseSources { get; internal init; } = [];

    /// <summary>HTTP API sources (entries of <c>sources/*.yml</c> with a <c>url</c>), in file order.</summary>
    public IReadOnlyList<ApiSourceDefinition> ApiSources { get; internal init; } = [];

    /// <summary>Debezium endpoint sources (entries of <c>sources/*.yml</c> with <c>listen</c>), in file order.</summary>
    public IReadOnlyList<EndpointSourceDefinition> EndpointSources { get; internal init; } = [];

    /// <summary>The <c>server_url</c> setting: where people open the server (links in alerts point there); null when not set.</summary>
    public Uri? ServerUrl { get; internal init; }

    /// <summary>The <c>pii_guard</c> setting: whether a silver or gold model may write personal data into an unclassified column.</summary>
    public Privacy.PiiGuardMode PiiGuard { get; internal init; }

    /// <summary>The <c>alerts:</c> section: channels and rules (none when absent).</summary>
    public AlertSettings Alerts { get; internal init; } = AlertSettings.None;

    /// <summary>
    /// The access policy the project declares (<c>access:</c> in medallion.yml, <c>access/*.yml</c>): roles, grants, masking
    /// policies and row filters, which <c>medallion access apply</c> writes to the catalog. None when absent.
    /// </summary>
    public Medallion.Catalog.DeclaredAccess Access { get; internal set; } = Medallion.Catalog.DeclaredAccess.None;

    /// <summary>The <c>audit:</c> section: the audit's retention (400 days when absent).</summary>
    public AuditSettings Audit { get; internal init; } = AuditSettings.Default;

    /// <summary>The <c>history:</c> section: how long finished runs stay in the catalog (90 days when absent).</summary>
    public HistorySettings History { get; internal init; } = HistorySettings.Default;

    /// <summary>The <c>maintenance:</c> section: the server's housekeeping rhythm and its upkeep of the tables (hourly, on, when absent).</summary>
    public MaintenanceSettings Maintenance { get; internal init; } = MaintenanceSettings.Default;

    /// <summary>Every table with a <c>freshness:</c> threshold: models, file sources' targets and database sources' tables.</summary>
    public IReadOnlyDictionary<TableName, FreshnessPolicy> Freshness =>
        Models.Where(m => m.Config.Freshness is not null).Select(m => (m.Name, m.Config.Freshness!))
            .Concat(Sources.Where(s => s.Freshness is not null).Select(s => (Name: s.Target, s.Freshness!)))
            .Concat(DatabaseSources.Where(d => d.Freshness is not null).SelectMany(d => d.Tables.Select(t => (Name: t.Target, d.Freshness!))))
            .GroupBy(p => p.Item1)
            .ToDictionary(g => g.Key, g => g.First().Item2);

    /// <summary>Jobs (from the <c>jobs:</c> list of <c>medallion.yml</c>, then <c>jobs/*.yml</c> in file order).</summary>
    public IReadOnlyList<JobDefinition> Jobs { get; internal set; } = [];

    /// <summary>Kafka sources (entries of <c>sources/*.yml</c> with <c>topic</c>, <c>topics</c> or <c>topic_pattern</c>), in file order.</summary>
    public IReadOnlyList<KafkaSourceDefinition> KafkaSources { get; internal init; } = [];

    /// <summary>
    /// Opens the project's stores and tables: configured from its <c>storage_options</c> and <c>cache</c>, its own (another
    /// project in the same process has its own). Every table the project reads or writes is opened through it.
    /// </summary>
    public StorageResolver Stores { get; private set; } = StorageResolver.Default;

    /// <summary>Models, by file path.</summary>
    public IReadOnlyList<ModelDefinition> Models { get; }

    /// <summary>The absolute path of a project-relative path (unchanged when already absolute or a URI).</summary>
    public string Resolve(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return StorageResolver.IsUri(path) ? path : Path.GetFullPath(Path.Combine(Directory, path));
    }

    /// <summary>The tables defined by the project: the targets of file, database, API and endpoint sources, and models.</summary>
    public IEnumerable<TableName> Tables
    {
        get
        {
            foreach (SourceDefinition source in Sources)
            {
                yield return source.Target;
            }

            foreach (DatabaseTableDefinition table in DatabaseSources.SelectMany(s => s.Tables))
            {
                yield return table.Target;
            }

            foreach (ApiSourceDefinition source in ApiSources)
            {
                yield return source.Target;
            }

            foreach (EndpointSourceDefinition source in EndpointSources)
            {
                yield return source.Target;
            }

            foreach (KafkaSourceDefinition source in KafkaSources)
            {
                yield return source.Target;
            }

            foreach (ModelDefinition model in Models)
            {
                yield return model.Name;
            }
        }
    }

    /// <summary>
    /// The jobs that the jobs file <paramref name="relativePath"/> (<c>jobs/&lt;name&gt;.yml</c>) would define with
    /// <paramref name="text"/>, checked as loading the project would check them, without writing anything: a way to try an
    /// edit before saving it.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.JobDefinitionInvalid"/> for a path outside <c>jobs/</c> or not
    /// a <c>.yml</c> file; otherwise what a load would report for that text, located in the file.</exception>
    public Task<List<JobDefinition>> ReadJobsFileAsync(string relativePath, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckJobsFilePath(relativePath);
        return new ProjectLoader(Directory, Environment.GetEnvironmentVariable).ReadJobsFileAsync(this, relativePath, text, cancellationToken);
    }

    /// <summary>Whether a path is one a jobs file may be edited at: <c>jobs/&lt;name&gt;.yml</c>, the name of letters, digits, <c>_</c> and <c>-</c>.</summary>
    public static bool IsJobsFilePath([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? relativePath) =>
        relativePath is not null && System.Text.RegularExpressions.Regex.IsMatch(relativePath, "^jobs/[A-Za-z0-9_-]{1,100}\\.yml$");

    /// <summary>
    /// Refuses a jobs file path that is not <c>jobs/&lt;name&gt;.yml</c> with a name of letters, digits, <c>_</c> and <c>-</c>:
    /// what a user names may be written into the project, so it stays inside its <c>jobs/</c> folder.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.JobDefinitionInvalid"/>, naming the path and what is expected.</exception>
    public static void CheckJobsFilePath(string? relativePath)
    {
        if (!IsJobsFilePath(relativePath))
        {
            throw new MedallionException(ErrorCode.JobDefinitionInvalid, $"'{relativePath}' is not a jobs file. Expected jobs/<name>.yml, the name of letters, digits, '_' and '-'.");
        }
    }

    /// <summary>Loads and validates the project in <paramref name="directory"/>.</summary>
    /// <param name="directory">The project directory (holding <c>medallion.yml</c>).</param>
    /// <param name="environment">Resolves <c>${NAME}</c> in <c>medallion.yml</c> and sources; the process environment when null.</param>
    /// <param name="cancellationToken">Cancels reading the files.</param>
    /// <exception cref="MedallionException">
    /// A file does not parse or has the wrong shape (the message and <see cref="MedallionException.Location"/>
    /// name the file, line and column and what was expected): <see cref="ErrorCode.ProjectFileInvalid"/>,
    /// <see cref="ErrorCode.ProjectNotFound"/>, <see cref="ErrorCode.ProjectEnvironmentVariableMissing"/>,
    /// <see cref="ErrorCode.ModelDuplicate"/>, <see cref="ErrorCode.ModelConfigInvalid"/>, <see cref="ErrorCode.QualityRuleInvalid"/>.
    /// </exception>
    /// <remarks>
    /// The project's <see cref="Stores"/> are built from its <c>cache</c> and <c>storage_options</c> settings (the
    /// options apply to the stores under the project's storage and its namespaces'), and those stores start warming up
    /// (<see cref="StorageResolver.WarmUp"/>). Nothing outside the project changes.
    /// </remarks>
    public static async Task<MedallionProject> LoadAsync(string directory, Func<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        MedallionProject project = await new ProjectLoader(directory, environment ?? Environment.GetEnvironmentVariable).LoadAsync(cancellationToken).ConfigureAwait(false);
        List<string> roots = [.. project.NamespaceStorage.Values.Prepend(project.Storage).Select(project.Resolve).Where(StorageResolver.IsUri).Distinct(StringComparer.Ordinal)];
        project.Stores = new StorageResolver(
            project.Cache,
            project.StorageOptions.Count == 0 ? null : roots.ToDictionary(root => root, _ => project.StorageOptions, StringComparer.Ordinal));
        project.Stores.WarmUp(roots);
        return project;
    }
}
