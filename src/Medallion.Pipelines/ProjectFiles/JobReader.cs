using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads the jobs of a project, from the <c>jobs:</c> list of <c>medallion.yml</c> and of each <c>jobs/*.yml</c>:
/// <code>
/// jobs:
///   - name: hourly_orders
///     select: +gold.daily_revenue      # the --select syntax
///     sources: [orders]                # ingested before the models
///     schedule: "0 * * * *"            # or @hourly; or every: 15m; or on_new_data: [bronze.orders]; or after: [job]
///     timezone: America/Sao_Paulo      # default UTC
///     catchup: last                    # none | last | all
///     retries: {count: 3, backoff: {initial: 30s, max: 10m}, jitter: true}
///     timeout: {model: 10m, run: 1h}
///     max_active_runs: 1
///     paused: false
///     engine: spark                    # every selected model runs on Spark (connection: &lt;name&gt; when several)
///   - name: orders_stream
///     sources: [pg]                    # database sources, their cdc tables streamed
///     continuous: true                 # runs while the server runs; no trigger, select, retries or timeout
///     restart: {initial: 1s, max: 1m}  # backoff between restarts after a failure (with jitter)
/// </code>
/// Names (models, tables, sources, jobs) are checked against the project once every job is read.
/// </summary>
internal static class JobReader
{
    public static readonly string[] Keys =
        ["name", "description", "select", "sources", "schedule", "timezone", "every", "on_new_data", "after", "catchup", "retries", "timeout", "max_active_runs", "paused", "continuous", "restart", "engine", "connection"];

    private static readonly string[] s_fileKeys = ["jobs"];
    private static readonly string[] s_retryKeys = ["count", "backoff", "jitter"];
    private static readonly string[] s_backoffKeys = ["initial", "max"];
    private static readonly string[] s_timeoutKeys = ["model", "run"];
    private static readonly string[] s_catchups = ["none", "last", "all"];
    private static readonly string[] s_triggers = ["schedule", "every", "on_new_data", "after"];
    private static readonly string[] s_notContinuous = ["schedule", "every", "on_new_data", "after", "select", "retries", "timeout", "catchup", "max_active_runs"];

    /// <summary>The <c>jobs:</c> entries of a jobs file (whose only key is <c>jobs</c>).</summary>
    public static IEnumerable<(YamlFile File, YamlNode Item)> ReadFile(YamlFile file, YamlNode root) =>
        file.Map(root, "a jobs file", s_fileKeys).List("jobs").Select(item => (file, item));

    /// <summary>Reads every job and checks what it names against <paramref name="project"/>.</summary>
    public static List<JobDefinition> Read(IEnumerable<(YamlFile File, YamlNode Item)> items, MedallionProject project)
    {
        var jobs = new List<JobDefinition>();
        var afterNodes = new Dictionary<string, (YamlFile File, YamlNode Node)>(StringComparer.Ordinal);
        foreach ((YamlFile file, YamlNode item) in items)
        {
            YamlMap map = file.Map(item, "a job", Keys);
            string name = map.RequiredString("name", "this job", "hourly_orders");
            if (jobs.FirstOrDefault(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase)) is { } first)
            {
                throw file.Error(map.Value("name")!, $"a job named '{name}' is already defined at {first.Location}. Expected one job per name.", ErrorCode.JobDefinitionInvalid);
            }

            JobDefinition job = ReadJob(file, map, item, name, project);
            if (map.Value("after") is { } afterNode)
            {
                afterNodes[job.Name] = (file, afterNode);
            }

            jobs.Add(job);
        }

        CheckAfter(jobs, afterNodes);
        return jobs;
    }

    private static JobDefinition ReadJob(YamlFile file, YamlMap map, YamlNode item, string name, MedallionProject project)
    {
        string? select = map.String("select");
        if (select is not null && ModelGraph.FindSelectionProblem(project, select) is { } problem)
        {
            throw file.Error(map.Value("select")!, $"'select' of job '{name}' matches nothing: {problem} Expected model names (silver.orders), namespaces (silver.*), tags (tag:daily), with + for upstream/downstream.", ErrorCode.JobDefinitionInvalid);
        }

        IReadOnlyList<string> sources = ReadSources(file, map, project);
        if (select is null && sources.Count == 0)
        {
            throw file.Error(item, $"job '{name}' has nothing to run. Expected 'select: <models>' and/or 'sources: [<source names>]'.", ErrorCode.JobDefinitionInvalid);
        }

        List<string> triggers = s_triggers.Where(map.Has).ToList();
        if (triggers.Count > 1)
        {
            throw file.Error(map.Value(triggers[1])!, $"job '{name}' has both '{triggers[0]}' and '{triggers[1]}'. Expected one trigger per job: schedule, every, on_new_data or after (or none, to run it only when triggered).", ErrorCode.JobDefinitionInvalid);
        }

        if (map.Value("timezone") is { } zoneNode && !map.Has("schedule"))
        {
            throw file.Error(zoneNode, $"'timezone' applies to a cron 'schedule', and job '{name}' has none. Expected 'schedule: ...' beside it, or no 'timezone'.", ErrorCode.JobDefinitionInvalid);
        }

        int maxActive = (int)(map.Long("max_active_runs") ?? 1);
        if (maxActive < 1)
        {
            throw file.Error(map.Value("max_active_runs")!, $"'max_active_runs' must be at least 1, but found {maxActive}.", ErrorCode.JobDefinitionInvalid);
        }

        bool continuous = map.Bool("continuous") ?? false;
        RetryPolicy restart = ReadRestart(file, map, name, continuous);
        if (continuous)
        {
            CheckContinuous(file, map, name, sources, project);
        }

        (TimeSpan? modelTimeout, TimeSpan? runTimeout) = ReadTimeouts(map);
        (List<TableName> tables, List<string> fileSources) = ReadOnNewData(file, map, project);
        return new JobDefinition(
            name,
            select,
            sources,
            ReadSchedule(file, map),
            tables,
            map.Strings("after"),
            map.Choice("catchup", s_catchups) switch { "none" => CatchupPolicy.None, "all" => CatchupPolicy.All, _ => CatchupPolicy.Last },
            ReadRetries(file, map),
            modelTimeout,
            runTimeout,
            maxActive,
            map.Bool("paused") ?? false,
            file.Location(item))
        {
            OnNewFiles = fileSources,
            Continuous = continuous,
            Engine = EngineReader.Read(map, project.Connections, $"job '{name}'"),
            Restart = restart,
        };
    }

    private static JobSchedule? ReadSchedule(YamlFile file, YamlMap map)
    {
        try
        {
            if (map.Duration("every") is { } every)
            {
                return JobSchedule.Period(every);
            }

            if (map.String("schedule") is { } cron)
            {
                TimeZoneInfo zone;
                try
                {
                    zone = JobSchedule.FindTimeZone(map.String("timezone") ?? "UTC");
                }
                catch (MedallionException exception)
                {
                    throw file.Error(map.Value("timezone")!, $"'timezone': {exception.Message}", ErrorCode.JobScheduleInvalid);
                }

                try
                {
                    return JobSchedule.Cron(cron, zone.Id);
                }
                catch (MedallionException exception)
                {
                    throw file.Error(map.Value("schedule")!, $"'schedule': {exception.Message}", ErrorCode.JobScheduleInvalid);
                }
            }
        }
        catch (MedallionException exception) when (exception.Location is null)
        {
            throw file.Error(map.Value("every")!, $"'every': {exception.Message}", ErrorCode.JobScheduleInvalid);
        }

        return null;
    }

    private static List<string> ReadSources(YamlFile file, YamlMap map, MedallionProject project)
    {
        List<string> known = project.Sources.Select(s => s.Name)
            .Concat(project.DatabaseSources.Select(s => s.Name))
            .Concat(project.ApiSources.Select(s => s.Name))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        var sources = new List<string>();
        foreach (YamlNode node in map.Value("sources") is { } list ? Items(list) : [])
        {
            string source = file.Scalar(node, "sources");
            string match = known.FirstOrDefault(k => string.Equals(k, source, StringComparison.OrdinalIgnoreCase))
                ?? throw file.Error(node, $"no source is named '{source}'.{NameSuggester.DidYouMean(source, known)} Expected one of: {(known.Count == 0 ? "(none defined in sources/*.yml)" : string.Join(", ", known))}.", ErrorCode.JobDefinitionInvalid);
            sources.Add(match);
        }

        return sources;
    }

    /// <summary><c>on_new_data</c>: tables (namespace.name) whose new versions trigger, and file sources (by name) whose new files do.</summary>
    private static (List<TableName> Tables, List<string> FileSources) ReadOnNewData(YamlFile file, YamlMap map, MedallionProject project)
    {
        List<TableName> known = project.Tables.ToList();
        var tables = new List<TableName>();
        var fileSources = new List<string>();
        foreach (YamlNode node in map.Value("on_new_data") is { } list ? Items(list) : [])
        {
            string text = file.Scalar(node, "on_new_data");
            if (project.Sources.FirstOrDefault(s => string.Equals(s.Name, text, StringComparison.OrdinalIgnoreCase)) is { } source)
            {
                fileSources.Add(source.Name);
                continue;
            }

            if (!TableName.TryParse(text, out TableName table) || !known.Contains(table))
            {
                IEnumerable<string> candidates = known.Select(t => t.ToString()).Concat(project.Sources.Select(s => s.Name));
                throw file.Error(node, $"'on_new_data' names no table or file source of the project: '{text}'.{NameSuggester.DidYouMean(text, candidates)} Expected a source target or model as namespace.name (e.g. bronze.orders), or the name of a file source to run when new files match its path.", ErrorCode.JobDefinitionInvalid);
            }

            tables.Add(table);
        }

        return (tables, fileSources);
    }

    /// <summary>A continuous job only streams database sources: no trigger, no models, no retries or timeouts of runs.</summary>
    private static void CheckContinuous(YamlFile file, YamlMap map, string name, IReadOnlyList<string> sources, MedallionProject project)
    {
        if (s_notContinuous.FirstOrDefault(map.Has) is { } key)
        {
            string why = key switch
            {
                "select" => "it streams sources into bronze; models over them belong to another job (e.g. 'on_new_data: [bronze.<table>]')",
                "retries" => "it is restarted after every failure; set the backoff with 'restart: {initial: 1s, max: 1m}'",
                _ => "it runs from the server's start to its stop",
            };
            throw file.Error(map.Value(key)!, $"job '{name}' is continuous, so it takes no '{key}': {why}. Expected 'continuous: true' with 'sources:' (and optionally 'restart:'), or a job without 'continuous'.", ErrorCode.JobDefinitionInvalid);
        }

        List<YamlNode> nodes = map.Value("sources") is { } list ? Items(list).ToList() : [];
        for (int i = 0; i < sources.Count; i++)
        {
            if (project.DatabaseSources.FirstOrDefault(d => string.Equals(d.Name, sources[i], StringComparison.Ordinal)) is not { } database
                || !database.Tables.Any(t => t.Mode == Medallion.Ingestion.IngestionMode.Cdc))
            {
                List<string> streamable = project.DatabaseSources.Where(d => d.Tables.Any(t => t.Mode == Medallion.Ingestion.IngestionMode.Cdc)).Select(d => d.Name).ToList();
                throw file.Error(nodes[i], $"source '{sources[i]}' of continuous job '{name}' has no 'mode: cdc' table, so there is nothing to stream. Expected a database source with cdc tables{(streamable.Count == 0 ? " (the project has none)" : ": " + string.Join(", ", streamable))}; run other sources on a schedule.", ErrorCode.JobDefinitionInvalid);
            }
        }
    }

    private static RetryPolicy ReadRestart(YamlFile file, YamlMap map, string name, bool continuous)
    {
        if (map.Value("restart") is not { } node)
        {
            return JobDefinition.DefaultRestart;
        }

        if (!continuous)
        {
            throw file.Error(node, $"'restart' applies to continuous jobs, and job '{name}' is not one. Expected 'continuous: true' beside it, or 'retries:' for a job that runs and ends.", ErrorCode.JobDefinitionInvalid);
        }

        YamlMap restart = file.Map(node, "'restart'", s_backoffKeys);
        TimeSpan initial = restart.Duration("initial") ?? JobDefinition.DefaultRestart.InitialBackoff;
        TimeSpan max = restart.Duration("max") ?? (initial > JobDefinition.DefaultRestart.MaxBackoff ? initial : JobDefinition.DefaultRestart.MaxBackoff);
        if (max < initial)
        {
            throw file.Error(restart.Value("max")!, $"'max' restart backoff ({restart.String("max")}) is shorter than 'initial' ({restart.String("initial")}). Expected max >= initial.", ErrorCode.JobDefinitionInvalid);
        }

        return JobDefinition.DefaultRestart with { InitialBackoff = initial, MaxBackoff = max };
    }

    private static RetryPolicy ReadRetries(YamlFile file, YamlMap map)
    {
        if (map.Value("retries") is not { } node || YamlMap.IsNull(node))
        {
            return RetryPolicy.None;
        }

        RetryPolicy defaults = RetryPolicy.None;
        if (node is YamlScalarNode)
        {
            return defaults with { Count = Count(map.Long("retries"), node) };
        }

        YamlMap retries = file.Map(node, "'retries'", s_retryKeys);
        YamlMap? backoff = retries.Map("backoff", "'backoff'", s_backoffKeys);
        TimeSpan initial = backoff?.Duration("initial") ?? defaults.InitialBackoff;
        TimeSpan max = backoff?.Duration("max") ?? (initial > defaults.MaxBackoff ? initial : defaults.MaxBackoff);
        if (max < initial)
        {
            throw file.Error(backoff!.Value("max")!, $"'max' backoff ({backoff.String("max")}) is shorter than 'initial' ({backoff.String("initial")}). Expected max >= initial.", ErrorCode.JobDefinitionInvalid);
        }

        return new RetryPolicy(Count(retries.Long("count"), retries.Value("count") ?? node), initial, max, retries.Bool("jitter") ?? true);

        int Count(long? count, YamlNode at) => count switch
        {
            null => throw file.Error(at, "'retries' has no 'count'. Expected e.g. 'retries: 3' or 'retries: {count: 3, backoff: {initial: 30s, max: 10m}}'.", ErrorCode.JobDefinitionInvalid),
            < 0 or > 100 => throw file.Error(at, $"'retries' must be between 0 and 100, but found {count}.", ErrorCode.JobDefinitionInvalid),
            _ => (int)count,
        };
    }

    private static (TimeSpan? Model, TimeSpan? Run) ReadTimeouts(YamlMap map)
    {
        YamlMap? timeout = map.Map("timeout", "'timeout'", s_timeoutKeys);
        return (timeout?.Duration("model"), timeout?.Duration("run"));
    }

    /// <summary><c>after:</c> names existing jobs, never the job itself, and the jobs never wait for each other in a circle.</summary>
    private static void CheckAfter(List<JobDefinition> jobs, Dictionary<string, (YamlFile File, YamlNode Node)> afterNodes)
    {
        List<string> names = jobs.Select(j => j.Name).ToList();
        foreach (JobDefinition job in jobs)
        {
            foreach (string upstream in job.After)
            {
                (YamlFile file, YamlNode node) = afterNodes[job.Name];
                if (!names.Contains(upstream, StringComparer.Ordinal))
                {
                    throw file.Error(node, $"'after' of job '{job.Name}' names no job: '{upstream}'.{NameSuggester.DidYouMean(upstream, names)} Expected one of: {string.Join(", ", names.Where(n => n != job.Name))}.", ErrorCode.JobDefinitionInvalid);
                }
            }
        }

        foreach (JobDefinition job in jobs)
        {
            if (FindCycle(job.Name, job.Name, jobs, []) is { } cycle)
            {
                (YamlFile file, YamlNode node) = afterNodes[job.Name];
                throw file.Error(node, $"jobs wait for each other in a circle: {string.Join(" -> ", cycle)}. Expected 'after:' chains that end.", ErrorCode.JobDefinitionInvalid);
            }
        }
    }

    private static List<string>? FindCycle(string start, string current, List<JobDefinition> jobs, List<string> path)
    {
        path.Add(current);
        foreach (string upstream in jobs.First(j => j.Name == current).After)
        {
            if (upstream == start)
            {
                return [.. path, start];
            }

            if (!path.Contains(upstream, StringComparer.Ordinal) && FindCycle(start, upstream, jobs, path) is { } cycle)
            {
                return cycle;
            }
        }

        path.RemoveAt(path.Count - 1);
        return null;
    }

    private static IEnumerable<YamlNode> Items(YamlNode node) => node is YamlSequenceNode sequence ? sequence.Children : [node];
}
