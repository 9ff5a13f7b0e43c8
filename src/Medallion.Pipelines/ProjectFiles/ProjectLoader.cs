using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine;
using Medallion.Pipelines.Contracts;
using Medallion.Pipelines.Sources;
using Medallion.Storage;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>Reads a project directory: <c>medallion.yml</c>, <c>sources/**/*.yml</c>, <c>models/**/*.sql</c> and <c>models/**/*.yml</c>.</summary>
internal sealed class ProjectLoader
{
    public const string ProjectFileName = "medallion.yml";

    private static readonly string[] s_projectKeys = ["name", "description", "storage", "storage_options", "catalog", "connections", "cache", "jobs", "server_url", "alerts", "access", "audit", "history", "maintenance", "pii_guard"];
    private static readonly string[] s_auditKeys = ["retention"];
    private static readonly string[] s_historyKeys = ["keep"];
    private static readonly string[] s_maintenanceKeys = ["tables", "every", "log_retention", "deleted_file_retention", "janitor_retention"];
    private static readonly string[] s_cacheKeys = ["path", "max_size"];
    private static readonly string[] s_connectionKeys = [];
    private static readonly string[] s_sourceFileKeys = ["sources"];
    private static readonly string[] s_sourceKeys = ["name", "description", "format", "path", "target", "options", "freshness"];
    private static readonly string[] s_formats = ["csv", "jsonl", "parquet", "debezium", "xlsx", "xls"];
    private static readonly string[] s_modelFileKeys = ["models"];

    private readonly string _directory;
    private readonly Func<string, string?> _environment;

    public ProjectLoader(string directory, Func<string, string?> environment)
    {
        _directory = Path.GetFullPath(directory);
        _environment = environment;
    }

    public async Task<MedallionProject> LoadAsync(CancellationToken cancellationToken)
    {
        string projectFile = Path.Combine(_directory, ProjectFileName);
        if (!File.Exists(projectFile))
        {
            throw new MedallionException(
                ErrorCode.ProjectNotFound,
                $"No {ProjectFileName} in '{_directory}'.\nHelp: create a project there, or point at the folder that holds one.");
        }

        (YamlFile file, YamlNode? root) = YamlFile.Parse(ProjectFileName, await File.ReadAllTextAsync(projectFile, cancellationToken).ConfigureAwait(false), environment: _environment);
        if (root is null)
        {
            throw file.Error(new YamlDotNet.Core.Mark(0, 1, 1), "the file is empty. Expected at least 'name: <project name>'.");
        }

        YamlMap settings = file.Map(root, ProjectFileName, s_projectKeys);
        string name = settings.RequiredString("name", ProjectFileName, "my_project");
        var connections = ReadConnections(settings);
        var databaseSources = new List<DatabaseSourceDefinition>();
        var apiSources = new List<ApiSourceDefinition>();
        var endpointSources = new List<EndpointSourceDefinition>();
        var kafkaSources = new List<KafkaSourceDefinition>();
        List<SourceDefinition> sources = await ReadSourcesAsync(connections, databaseSources, apiSources, endpointSources, kafkaSources, cancellationToken).ConfigureAwait(false);
        List<ModelDefinition> models = await ReadModelsAsync(connections, cancellationToken).ConfigureAwait(false);
        CheckDuplicates(
            sources.Select(s => (s.Target, s.Location))
                .Concat(databaseSources.SelectMany(d => d.Tables.Select(t => (t.Target, t.Location))))
                .Concat(apiSources.Select(a => (a.Target, a.Location)))
                .Concat(endpointSources.Select(e => (e.Target, e.Location)))
                .Concat(kafkaSources.Select(k => (k.Target, k.Location))),
            models);
        (string Default, Dictionary<string, string> Namespaces) storage = ReadStorage(settings);
        var project = new MedallionProject(
            _directory,
            name,
            settings.String("description"),
            storage.Default,
            // The environment's catalog wins over the file's, as a deployment's settings win over the project's defaults.
            _environment(MedallionProject.CatalogVariable) is { Length: > 0 } catalogUrl ? catalogUrl : settings.String("catalog") ?? ".medallion/catalog.db",
            connections,
            sources,
            models)
        {
            DatabaseSources = databaseSources,
            ApiSources = apiSources,
            EndpointSources = endpointSources,
            KafkaSources = kafkaSources,
            Cache = ReadCache(settings),
            StorageOptions = ReadStorageOptions(settings),
            NamespaceStorage = storage.Namespaces,
            ServerUrl = ReadServerUrl(settings),
            Alerts = AlertsReader.Read(settings, [.. databaseSources.Select(d => d.Name), .. apiSources.Select(a => a.Name), .. kafkaSources.Select(k => k.Name)]),
            Audit = ReadAudit(settings),
            History = ReadHistory(settings),
            Maintenance = ReadMaintenance(settings),
            PiiGuard = Enum.Parse<Privacy.PiiGuardMode>(settings.Choice("pii_guard", ["off", "warn", "fail"]) ?? "off", ignoreCase: true),
        };

        // Jobs name models, tables and sources, so they are read once everything else is.
        List<(YamlFile File, YamlNode Item)> jobItems = settings.List("jobs").Select(item => (file, item)).ToList();
        foreach (string path in ListFiles("jobs", "*.yml"))
        {
            (YamlFile jobFile, YamlNode? jobRoot) = YamlFile.Parse(Display(path), await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), environment: _environment);
            if (jobRoot is not null)
            {
                jobItems.AddRange(JobReader.ReadFile(jobFile, jobRoot));
            }
        }

        project.Jobs = JobReader.Read(jobItems, project);

        var access = new DeclaredAccessBuilder();
        if (settings.Map("access", "'access'", AccessReader.Keys) is { } accessSection)
        {
            AccessReader.Read(accessSection, access);
        }

        foreach (string path in ListFiles("access", "*.yml"))
        {
            (YamlFile accessFile, YamlNode? accessRoot) = YamlFile.Parse(Display(path), await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), environment: _environment);
            if (accessRoot is not null)
            {
                AccessReader.Read(accessFile.Map(accessRoot, Display(path), AccessReader.Keys), access);
            }
        }

        project.Access = access.Build();
        return project;
    }

    /// <summary>The <c>cache: {path, max_size}</c> setting: where remote tables' data files are cached, relative to the project unless absolute; null when absent.</summary>
    private ObjectCache? ReadCache(YamlMap settings)
    {
        if (settings.Map("cache", "'cache'", s_cacheKeys) is not { } cache)
        {
            return null;
        }

        string path = cache.String("path") is { } p ? Path.GetFullPath(Path.Combine(_directory, p)) : ObjectCache.DefaultDirectory;
        long maxSize = ObjectCache.DefaultMaxSizeBytes;
        if (cache.Value("max_size") is { } sizeNode)
        {
            try
            {
                maxSize = ByteSize.Parse(settings.File.Scalar(sizeNode, "max_size"), "cache.max_size");
            }
            catch (MedallionException e)
            {
                throw settings.File.Error(sizeNode, e.Message[..e.Message.IndexOf('\n', StringComparison.Ordinal)] + " Expected a size such as 20GB or 512MB.");
            }
        }

        return new ObjectCache(path, maxSize);
    }

    /// <summary>
    /// The <c>storage</c> setting: one location for every namespace (<c>storage: s3://lake/shop</c>), or a mapping of
    /// namespaces to locations with <c>default</c> for the others (<c>storage: {default: warehouse, bronze: s3://raw/bronze}</c>).
    /// </summary>
    private static (string Default, Dictionary<string, string> Namespaces) ReadStorage(YamlMap settings)
    {
        var namespaces = new Dictionary<string, string>(StringComparer.Ordinal);
        if (settings.Value("storage") is not YamlMappingNode)
        {
            return (settings.String("storage") ?? "warehouse", namespaces);
        }

        YamlMap map = settings.Map("storage", "'storage'", [])!;
        string defaultStorage = "warehouse";
        foreach ((string key, YamlScalarNode keyNode, YamlNode value) in map.Entries)
        {
            string location = settings.File.Scalar(value, "storage." + key);
            if (key == "default")
            {
                defaultStorage = location;
            }
            else if (!TableName.TryParse(key + ".t", out _) || key.Any(char.IsUpper))
            {
                throw settings.File.Error(keyNode, $"'storage' maps namespaces to locations, but '{key}' is not a namespace name. Expected 'default' or a lower-case name such as 'bronze: s3://raw-lake/bronze'.");
            }
            else
            {
                namespaces[key] = location;
            }
        }

        return (defaultStorage, namespaces);
    }

    /// <summary>
    /// The <c>storage_options</c> setting: values of the standard variables (<see cref="StorageResolver.SettingNames"/>)
    /// for the project's stores, usually <c>${ENV}</c> references, which take precedence over the process's environment.
    /// </summary>
    private static Dictionary<string, string> ReadStorageOptions(YamlMap settings)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (settings.Map("storage_options", "'storage_options'", StorageResolver.SettingNames) is { } map)
        {
            foreach ((string key, _, YamlNode value) in map.Entries)
            {
                options[key] = settings.File.Scalar(value, key);
            }
        }

        return options;
    }

    /// <summary>The <c>audit: {retention}</c> setting: how long audit events are kept.</summary>
    private static AuditSettings ReadAudit(YamlMap settings)
    {
        if (settings.Map("audit", "'audit'", s_auditKeys) is not { } audit || audit.Value("retention") is not { } node)
        {
            return AuditSettings.Default;
        }

        string text = settings.File.Scalar(node, "retention");
        return DurationText.TryParse(text, out TimeSpan retention) && retention >= TimeSpan.FromDays(1)
            ? new AuditSettings(retention)
            : throw settings.File.Error(node, $"'audit.retention' cannot be '{text}'. Expected a duration of at least a day, e.g. 'retention: 400d' or 'retention: 52w'.");
    }

    /// <summary>The <c>history: {keep}</c> setting: how long finished runs stay in the catalog, or <c>forever</c>.</summary>
    private static HistorySettings ReadHistory(YamlMap settings)
    {
        if (settings.Map("history", "'history'", s_historyKeys) is not { } history || history.Value("keep") is not { } node)
        {
            return HistorySettings.Default;
        }

        string text = settings.File.Scalar(node, "keep");
        if (string.Equals(text.Trim(), "forever", StringComparison.OrdinalIgnoreCase))
        {
            return new HistorySettings(null);
        }

        return DurationText.TryParse(text, out TimeSpan keep) && keep > TimeSpan.Zero
            ? new HistorySettings(keep)
            : throw settings.File.Error(node, $"'history.keep' cannot be '{text}'. Expected how long to keep finished runs, e.g. 'keep: 90d' or 'keep: 26w', or 'keep: forever'.");
    }

    /// <summary>The <c>maintenance: {tables, every, log_retention, deleted_file_retention, janitor_retention}</c> setting: the server's housekeeping.</summary>
    private static MaintenanceSettings ReadMaintenance(YamlMap settings)
    {
        if (settings.Map("maintenance", "'maintenance'", s_maintenanceKeys) is not { } maintenance)
        {
            return MaintenanceSettings.Default;
        }

        return new MaintenanceSettings(
            maintenance.Bool("tables") ?? true,
            maintenance.Duration("every") ?? MaintenanceSettings.DefaultEvery,
            maintenance.Duration("log_retention"),
            maintenance.Duration("deleted_file_retention"))
        {
            JanitorRetention = maintenance.Duration("janitor_retention") ?? MaintenanceSettings.DefaultJanitorRetention,
        };
    }

    /// <summary>The <c>server_url</c> setting: the server's address as people reach it, for links in alerts.</summary>
    private static Uri? ReadServerUrl(YamlMap settings)
    {
        if (settings.String("server_url") is not { } text)
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https"
            ? url
            : throw settings.File.Error(settings.Value("server_url")!, $"'server_url' cannot be '{text}'. Expected the address people open the server at, e.g. 'server_url: https://medallion.example.com'.");
    }

    private static Dictionary<string, ConnectionDefinition> ReadConnections(YamlMap settings)
    {
        var connections = new Dictionary<string, ConnectionDefinition>(StringComparer.OrdinalIgnoreCase);
        if (settings.Map("connections", "'connections'", []) is not { } map)
        {
            return connections;
        }

        foreach ((string name, YamlScalarNode keyNode, YamlNode value) in map.Entries)
        {
            YamlMap connection = settings.File.Map(value, $"connection '{name}'", s_connectionKeys);
            string type = connection.RequiredString("type", $"connection '{name}'", "postgres");
            if (string.Equals(type, SparkConnectionReader.Type, StringComparison.OrdinalIgnoreCase))
            {
                SparkConnectionReader.Check(settings.File, value, name);
            }

            var values = connection.Entries
                .Where(e => e.Key != "type")
                .ToDictionary(e => e.Key, e => settings.File.Scalar(e.Value, e.Key), StringComparer.OrdinalIgnoreCase);
            connections[name] = new ConnectionDefinition(name, type, values, settings.File.Location(keyNode));
        }

        return connections;
    }

    private async Task<List<SourceDefinition>> ReadSourcesAsync(Dictionary<string, ConnectionDefinition> connections, List<DatabaseSourceDefinition> databaseSources, List<ApiSourceDefinition> apiSources, List<EndpointSourceDefinition> endpointSources, List<KafkaSourceDefinition> kafkaSources, CancellationToken cancellationToken)
    {
        var sources = new List<SourceDefinition>();
        foreach (string path in ListFiles("sources", "*.yml"))
        {
            (YamlFile file, YamlNode? root) = YamlFile.Parse(Display(path), await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), environment: _environment);
            if (root is null)
            {
                continue;
            }

            YamlMap map = file.Map(root, "a sources file", s_sourceFileKeys);
            foreach (YamlNode item in map.List("sources"))
            {
                if (KafkaSourceReader.IsKafkaSource(item))
                {
                    kafkaSources.Add(KafkaSourceReader.Read(file, item, connections));
                }
                else if (DatabaseSourceReader.IsDatabaseSource(item))
                {
                    databaseSources.Add(DatabaseSourceReader.Read(file, item, connections));
                }
                else if (ApiSourceReader.IsApiSource(item))
                {
                    apiSources.Add(ApiSourceReader.Read(file, item));
                }
                else if (EndpointSourceReader.IsEndpointSource(item))
                {
                    endpointSources.Add(EndpointSourceReader.Read(file, item));
                }
                else
                {
                    sources.Add(ReadSource(file, item));
                }
            }
        }

        return sources;
    }

    private static SourceDefinition ReadSource(YamlFile file, YamlNode item)
    {
        YamlMap source = file.Map(item, "a source", s_sourceKeys);
        string format = source.Choice("format", s_formats) ?? throw file.Error(item, $"this source has no 'format'. Expected 'format: csv', 'format: jsonl', 'format: parquet', 'format: debezium', 'format: xlsx' or 'format: xls'.");
        string glob = source.RequiredString("path", "this source", "data/orders/*.csv");
        (string name, TableName target) = SourceTarget.Read(file, source, item, "this source", "orders");

        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        // DuckDB checks its own readers' options; the spreadsheet reader is ours, so its options are checked here.
        bool spreadsheet = format is "xlsx" or "xls";
        if (source.Map("options", "'options'", spreadsheet ? SpreadsheetOptions.Keys : []) is { } optionMap)
        {
            foreach ((string key, _, YamlNode value) in optionMap.Entries)
            {
                options[key] = file.Scalar(value, key);
            }

            if (spreadsheet)
            {
                SpreadsheetOptions.Check(file, optionMap);
            }
        }

        return new SourceDefinition(
            name,
            format switch
            {
                "csv" => SourceFormat.Csv,
                "jsonl" => SourceFormat.JsonLines,
                "debezium" => SourceFormat.Debezium,
                "xlsx" => SourceFormat.Xlsx,
                "xls" => SourceFormat.Xls,
                _ => SourceFormat.Parquet,
            },
            glob,
            target,
            options,
            source.String("description"),
            file.Location(item))
        {
            Freshness = AlertsReader.ReadFreshness(source),
        };
    }

    private async Task<List<ModelDefinition>> ReadModelsAsync(Dictionary<string, ConnectionDefinition> connections, CancellationToken cancellationToken)
    {
        var models = new List<ModelDefinition>();
        foreach (string path in ListFiles("models", "*.sql"))
        {
            string display = Display(path);
            string[] parts = display.Split('/');
            if (parts.Length != 3)
            {
                var location = new SourceLocation(display);
                throw new MedallionException(
                    ErrorCode.ProjectFileInvalid,
                    $"{display}: a model must sit at models/<namespace>/<name>.sql, so its table is <namespace>.<name>.\nHelp: move it, e.g. to models/silver/{Path.GetFileName(path)}.",
                    location: location);
            }

            string sql = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            var name = new TableName(parts[1], Path.GetFileNameWithoutExtension(parts[2]));
            ModelConfig config = ModelConfigReader.Default(display);
            if (ModelConfigReader.FindBlock(display, sql) is (string yaml, int offset))
            {
                (YamlFile file, YamlNode? root) = YamlFile.Parse(display, yaml, offset);
                if (root is not null)
                {
                    config = ModelConfigReader.Read(file.Map(root, "the model config", ModelConfigReader.Keys), connections, $"model {name}");
                }
            }

            models.Add(new ModelDefinition(name, display, sql, config));
        }

        foreach (string path in ListFiles("models", "*.yml"))
        {
            (YamlFile file, YamlNode? root) = YamlFile.Parse(Display(path), await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
            if (root is null)
            {
                continue;
            }

            YamlMap map = file.Map(root, "a models file", s_modelFileKeys);
            if (map.Map("models", "'models'", []) is not { } entries)
            {
                continue;
            }

            foreach ((string key, YamlScalarNode keyNode, YamlNode value) in entries.Entries)
            {
                int index = models.FindIndex(m => TableName.TryParse(key, out TableName n) && m.Name.Equals(n));
                if (index < 0)
                {
                    throw file.Error(keyNode, $"no model is named '{key}'.{NameSuggester.DidYouMean(key, models.Select(m => m.Name.ToString()))} Expected the name of a models/<namespace>/<name>.sql file as <namespace>.<name>.");
                }

                ModelDefinition model = models[index];
                if (model.Config.Location.Line > 1 || ModelConfigReader.FindBlock(model.FilePath, model.Sql) is not null)
                {
                    throw file.Error(keyNode, $"model {model.Name} is configured twice: here and in the leading comment of {model.FilePath}. Expected one place.", ErrorCode.ModelDuplicate);
                }

                models[index] = model with { Config = ModelConfigReader.Read(file.Map(value, $"the config of {key}", ModelConfigReader.Keys), connections, $"model {model.Name}") };
            }
        }

        await ApplyContractsAsync(models, cancellationToken).ConfigureAwait(false);
        return models;
    }

    /// <summary>Lays each contract document of <c>contracts/</c> over the config of the model it describes (one document per model).</summary>
    private async Task ApplyContractsAsync(List<ModelDefinition> models, CancellationToken cancellationToken)
    {
        var bound = new Dictionary<TableName, SourceLocation>();
        foreach (string path in ListFiles(OdcsContract.Folder, "*").Where(p => OdcsContract.IsDocument(p)))
        {
            foreach (OdcsObject contract in OdcsContract.Read(Display(path), await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)))
            {
                int index = models.FindIndex(m => m.Name.Equals(contract.Model));
                if (index < 0)
                {
                    throw OdcsContract.Invalid(contract.Location,
                        $"the contract describes {contract.Model}, which no model writes.{NameSuggester.DidYouMean(contract.Model.ToString(), models.Select(m => m.Name.ToString()))} Expected the name of a models/<namespace>/<name>.sql file as the object's physicalName.");
                }

                if (!bound.TryAdd(contract.Model, contract.Location))
                {
                    throw OdcsContract.Invalid(contract.Location, $"model {contract.Model} already has a contract ({bound[contract.Model]}). Expected one contract document per model.");
                }

                models[index] = models[index] with { Config = OdcsContract.ApplyTo(models[index].Config, contract) };
            }
        }
    }

    private static void CheckDuplicates(IEnumerable<(TableName Target, SourceLocation Location)> sources, List<ModelDefinition> models)
    {
        var defined = new Dictionary<TableName, SourceLocation>();
        foreach ((TableName table, SourceLocation location) in sources.Concat(models.Select(m => (m.Name, new SourceLocation(m.FilePath)))))
        {
            if (defined.TryGetValue(table, out SourceLocation? first))
            {
                throw new MedallionException(
                    ErrorCode.ModelDuplicate,
                    $"{location}: table {table} is defined twice (first at {first}).\nHelp: give one of them another name or target.",
                    location: location);
            }

            defined[table] = location;
        }
    }

    /// <summary>
    /// The jobs a jobs file would define if its text were <paramref name="text"/>, read and checked as a load would read
    /// them: against <paramref name="project"/>'s models and sources, and beside the jobs of <c>medallion.yml</c> and of the
    /// project's other jobs files as they are on disk (one job per name, <c>after</c> naming jobs that exist).
    /// </summary>
    /// <param name="project">The loaded project the file belongs to.</param>
    /// <param name="relativePath">The file, relative to the project (<c>jobs/nightly.yml</c>); it need not exist yet.</param>
    /// <param name="text">The file's proposed text.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException">What a load would report for that text, located in the file (line and column).</exception>
    public async Task<List<JobDefinition>> ReadJobsFileAsync(MedallionProject project, string relativePath, string text, CancellationToken cancellationToken)
    {
        string target = Path.GetFullPath(Path.Combine(_directory, relativePath));
        (YamlFile file, YamlNode? root) = YamlFile.Parse(ProjectFileName, await File.ReadAllTextAsync(Path.Combine(_directory, ProjectFileName), cancellationToken).ConfigureAwait(false), environment: _environment);
        List<(YamlFile File, YamlNode Item)> items = root is null ? [] : [.. file.Map(root, ProjectFileName, s_projectKeys).List("jobs").Select(item => (file, item))];
        foreach (string path in ListFiles("jobs", "*.yml").Where(p => !string.Equals(p, target, StringComparison.Ordinal)))
        {
            (YamlFile jobFile, YamlNode? jobRoot) = YamlFile.Parse(Display(path), await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), environment: _environment);
            if (jobRoot is not null)
            {
                items.AddRange(JobReader.ReadFile(jobFile, jobRoot));
            }
        }

        (YamlFile edited, YamlNode? editedRoot) = YamlFile.Parse(Display(target), text, environment: _environment);
        if (editedRoot is not null)
        {
            items.AddRange(JobReader.ReadFile(edited, editedRoot));
        }

        return [.. JobReader.Read(items, project).Where(j => string.Equals(j.Location.File, Display(target), StringComparison.Ordinal))];
    }

    private IEnumerable<string> ListFiles(string folder, string pattern)
    {
        string directory = Path.Combine(_directory, folder);
        return Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [];
    }

    private string Display(string path) => Path.GetRelativePath(_directory, path).Replace('\\', '/');
}
