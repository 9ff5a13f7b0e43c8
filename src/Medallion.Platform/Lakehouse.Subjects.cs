using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Privacy;
using Medallion.Pipelines.Quality;
using Medallion.Platform.Privacy;
using Medallion.Storage;


namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>A person's rows per table are read into memory; a table with more is refused rather than half-reported.</summary>
    public const int MaxSubjectRowsPerTable = 10_000;

    /// <summary>Rows sampled to tell which candidate columns hold identifiers of the requested kind.</summary>
    private const int SubjectSampleRows = 2_000;

    /// <summary>Where erasure reports are kept, relative to the project.</summary>
    public const string ErasureReportFolder = ".medallion/erasures";

    /// <summary>
    /// Finds every table and row holding the person: the columns searched are those classified (in the project files or
    /// the catalog), those connected to a classified column by column lineage (so an unclassified bronze column feeding
    /// a classified silver one is searched), the classified columns of quarantine tables, and the raw text of rows that
    /// did not parse; of these, a column is compared when a sample shows it holds identifiers of the requested kind.
    /// Values are compared in normal form, so <c>390.533.447-05</c> finds <c>39053344705</c>. Rows linked to the person
    /// only by a key are found through the models' <c>relationships</c> rules: a model whose <c>customer_id</c> must
    /// exist in <c>silver.customers.customer_id</c> has the rows whose key is one of the person's rows there (and so on
    /// along chains of such rules, e.g. order items of the person's orders).
    /// </summary>
    /// <param name="subject">Whom to find.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.SubjectRequestInvalid"/> when a table holds more than <see cref="MaxSubjectRowsPerTable"/> rows of the person.</exception>
    public async Task<SubjectSearch> FindSubjectAsync(SubjectIdentifier subject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        HashSet<(TableName Table, string Column)> candidates = await IdentifyingColumnsAsync(cancellationToken).ConfigureAwait(false);
        List<KeyLink> links = KeyLinks(await GetGraphAsync(cancellationToken).ConfigureAwait(false));
        var found = new Dictionary<string, SubjectTableMatch>(StringComparer.Ordinal);
        var searched = new List<PhysicalTable>();
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        var linked = new Dictionary<TableName, List<LinkedKey>>();
        List<PhysicalTable> order = await PhysicalTablesAsync(cancellationToken).ConfigureAwait(false);
        IEnumerable<PhysicalTable> toSearch = order;
        // Each round follows the links one step further from the rows found so far; keys only accumulate, so the rounds
        // end when a round adds none (bounded, for cyclic rules, by one round per link). A link is between tables of the
        // project: the keys of the person's rows in any physical table of the parent select rows in every one of the child.
        for (int round = 0; round <= links.Count; round++)
        {
            foreach (PhysicalTable target in toSearch)
            {
                if (await ScanLocationAsync(target.Location, cancellationToken).ConfigureAwait(false) is not { } scan)
                {
                    continue;
                }

                if (round == 0)
                {
                    searched.Add(target);
                    versions[target.Location] = scan.Snapshot.Version;
                }

                IReadOnlyList<LinkedKey> keys = linked.TryGetValue(target.Name, out List<LinkedKey>? k) ? k.Where(key => scan.Snapshot.Schema.Find(key.Column) is not null).ToList() : [];
                if (await MatchTableAsync(target.Name, scan.Snapshot, scan.Relation, subject, candidates, keys, cancellationToken).ConfigureAwait(false) is { } match)
                {
                    found[target.Location] = match with { Location = target.Location, Environments = target.Environments };
                }
            }

            Dictionary<TableName, List<LinkedKey>> next = LinkedKeys(links, found.Values);
            List<TableName> changed = next.Where(n => !linked.TryGetValue(n.Key, out List<LinkedKey>? before) || !before.SequenceEqual(n.Value)).Select(n => n.Key).ToList();
            if (changed.Count == 0)
            {
                break;
            }

            linked = next;
            toSearch = order.Where(t => changed.Contains(t.Name)).ToList();
        }

        return new SubjectSearch(subject, [.. order.Where(t => found.ContainsKey(t.Location)).Select(t => found[t.Location])], [.. searched.Where(t => t.Environments.Count == 0).Select(t => t.Name)])
        {
            SearchedElsewhere = [.. searched.Where(t => t.Environments.Count > 0).Select(t => SubjectTableMatch.Display(t.Name, t.Environments))],
            Versions = versions,
        };
    }

    /// <summary>
    /// One physical Delta table of a table of the project: prod's (at the location prod's pointers give, with no
    /// <paramref name="Environments"/>), or another that still holds a version of it.
    /// </summary>
    /// <param name="Name">The table of the project it is a version of.</param>
    /// <param name="Location">Where it is.</param>
    /// <param name="Environments">What points at it besides prod (<c>dev</c>, <c>prod~previous</c>), or <see cref="Unpointed"/>; empty for prod's.</param>
    private sealed record PhysicalTable(TableName Name, string Location, IReadOnlyList<string> Environments);

    /// <summary>How a report names a physical table no environment points at any more, which the janitor has not removed yet.</summary>
    public const string Unpointed = "unpointed, awaiting janitor";

    /// <summary>
    /// Every physical table of the project's tables, in lineage order (<see cref="LineageOrderAsync"/>): prod's, then for
    /// each model every other table an environment (a kept previous set included) points at or that lost its last pointer
    /// and awaits the janitor (the catalog's <c>environment_tables</c>), each with its quarantine table beside it, each
    /// once however many environments point at it. Within one table of the project, a table that reads files of another
    /// (a shallow clone) comes first: erasing it rewrites its rows into its own folder before the erasure of the table it
    /// was cloned from deletes the files it named.
    /// </summary>
    private async Task<List<PhysicalTable>> PhysicalTablesAsync(CancellationToken cancellationToken)
    {
        List<TableName> order = await LineageOrderAsync(cancellationToken).ConfigureAwait(false);
        var others = new Dictionary<string, (TableName Name, SortedSet<string> Environments)>(StringComparer.Ordinal);
        if (_catalog is not null)
        {
            var prods = new HashSet<string>(order.Select(n => Find(n).Location), StringComparer.Ordinal);
            void Add(TableName model, string? pointer, string environment)
            {
                TableName quarantine = QuarantineTable.Of(model);
                foreach ((TableName name, string location) in new[]
                {
                    (model, ModelTables.Resolve(Project, model, pointer)),
                    (quarantine, pointer is null ? ModelTables.Resolve(Project, quarantine, null) : ModelTables.Resolve(Project, quarantine, pointer + QuarantineSuffix)),
                })
                {
                    if (!_tables.ContainsKey(name) || !Reader.CanRead(name) || prods.Contains(location))
                    {
                        continue;
                    }

                    if (!others.TryGetValue(location, out var other))
                    {
                        others[location] = other = (_tables.Keys.First(k => k.Equals(name)), new SortedSet<string>(StringComparer.Ordinal));
                    }

                    other.Environments.Add(environment);
                }
            }

            foreach (ModelStateRecord state in await _catalog.Environments.ListAllModelStatesAsync(cancellationToken).ConfigureAwait(false))
            {
                Add(state.Model, state.Location, state.Environment);
            }

            foreach (EnvironmentTableRecord table in await _catalog.Environments.ListTablesAsync(cancellationToken).ConfigureAwait(false))
            {
                if (table.UnpointedAt is not null)
                {
                    Add(table.Model, table.Location, Unpointed);
                }
            }
        }

        var tables = new List<PhysicalTable>();
        foreach (TableName name in order)
        {
            var versions = new List<(PhysicalTable Table, bool Clone)>();
            foreach (PhysicalTable table in others.Where(o => o.Value.Name.Equals(name)).OrderBy(o => o.Key, StringComparer.Ordinal)
                .Select(o => new PhysicalTable(name, o.Key, [.. o.Value.Environments]))
                .Prepend(new PhysicalTable(name, Find(name).Location, [])))
            {
                versions.Add((table, await ReadsOtherTablesFilesAsync(table.Location, cancellationToken).ConfigureAwait(false)));
            }

            // OrderBy is stable: prod's first among the clones and among the others.
            tables.AddRange(versions.OrderBy(v => v.Clone ? 0 : 1).Select(v => v.Table));
        }

        return tables;
    }

    /// <summary>Whether the table's newest version names a data file outside its own folder (a shallow clone's).</summary>
    private async Task<bool> ReadsOtherTablesFilesAsync(string location, CancellationToken cancellationToken) =>
        await OpenDeltaAsync(location, cancellationToken).ConfigureAwait(false) is { } table
        && (await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Files.Any(f => f.ExternalPath is not null);

    /// <summary>A model column that must hold a key of another table (its <c>relationships</c> rule), and the same for the model's quarantine table.</summary>
    private sealed record KeyLink(TableName Child, string Column, TableName Parent, string ParentColumn);

    /// <summary>Rows of a table linked to the person: <paramref name="Condition"/> over <paramref name="Column"/> selects them.</summary>
    private sealed record LinkedKey(string Column, string Condition);

    /// <summary>
    /// The links of the models' <c>relationships</c> rules, each also from every column that copies the rule's key column
    /// unchanged (<see cref="ModelGraph.GetCopies"/>): the bronze table a model's <c>customer_id</c> is read from holds the
    /// person's orders as surely as the model does, and a full refresh would bring them back from there.
    /// </summary>
    private List<KeyLink> KeyLinks(ModelGraph graph)
    {
        var links = new List<KeyLink>();
        void Link(TableName child, string column, TableName parent, string parentColumn)
        {
            links.Add(new KeyLink(child, column, parent, parentColumn));
            var quarantine = new TableName(child.Namespace, child.Name + QuarantineSuffix);
            if (Find(child).Kind == TableKind.Model && TableNames.Contains(quarantine))
            {
                links.Add(new KeyLink(quarantine, column, parent, parentColumn));
            }
        }

        foreach (TableName name in TableNames)
        {
            Entry entry = Find(name);
            if (entry.Kind != TableKind.Model || entry.Model is null)
            {
                continue;
            }

            foreach (Expectation rule in entry.Model.Config.Expectations.Where(e => e.Kind == ExpectationKind.Relationships && e.To is not null && e.ToColumn is not null && e.Columns.Count == 1))
            {
                Link(name, rule.Columns[0], rule.To!.Value, rule.ToColumn!);
                foreach (ColumnReference copy in graph.GetCopies(name, rule.Columns[0]).Where(c => !c.Table.Equals(rule.To.Value) && TableNames.Contains(c.Table)))
                {
                    Link(copy.Table, copy.Column, rule.To.Value, rule.ToColumn!);
                }
            }
        }

        return [.. links.Distinct()];
    }

    /// <summary>
    /// For each linked table, the conditions selecting the rows whose key is one of the person's rows' keys in the parent
    /// (or in the parent's quarantine table).
    /// Keys compare as text, and only integer, decimal, text and UUID keys are followed: other types make poor keys,
    /// and their text forms differ between DuckDB and .NET.
    /// </summary>
    private static Dictionary<TableName, List<LinkedKey>> LinkedKeys(List<KeyLink> links, IEnumerable<SubjectTableMatch> matches)
    {
        var keys = new Dictionary<TableName, List<LinkedKey>>();
        List<SubjectTableMatch> found = matches.ToList();
        foreach (KeyLink link in links)
        {
            // The parent's quarantine table holds rows of the parent too (those its rules moved aside).
            var parentQuarantine = new TableName(link.Parent.Namespace, link.Parent.Name + QuarantineSuffix);
            List<string> values = found.Where(m => m.Table.Equals(link.Parent) || m.Table.Equals(parentQuarantine))
                .SelectMany(m => m.Rows)
                .Select(row => row.FirstOrDefault(v => string.Equals(v.Column, link.ParentColumn, StringComparison.OrdinalIgnoreCase))?.Value)
                .Select(KeyText)
                .OfType<string>()
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (values.Count == 0)
            {
                continue;
            }

            if (!keys.TryGetValue(link.Child, out List<LinkedKey>? list))
            {
                keys[link.Child] = list = [];
            }

            list.Add(new LinkedKey(link.Column, $"CAST({DuckDbConnection.QuoteIdentifier(link.Column)} AS VARCHAR) IN ({string.Join(", ", values.Select(DuckDbConnection.QuoteLiteral))})"));
        }

        return keys;
    }

    private static string? KeyText(object? value) => value switch
    {
        sbyte or byte or short or ushort or int or uint or long or ulong or System.Numerics.BigInteger or Int128 or UInt128 or decimal => Convert.ToString(value, CultureInfo.InvariantCulture),
        string text => text,
        Guid id => id.ToString(),
        _ => null,
    };

    /// <summary>How many times an erasure erases what it finds before it gives up on a person who keeps coming back.</summary>
    public const int MaxErasurePasses = 3;

    /// <summary>
    /// Erases a person: in every physical table <see cref="FindSubjectAsync"/> finds them (prod's, each environment's own,
    /// the sets kept for rollback, and those awaiting the janitor), in lineage order (sources, then each
    /// model after what it reads, quarantine tables after their model, so no model rebuilt in between can bring rows back
    /// from an upstream not yet erased), the rows are deleted or, where the model says <c>erasure: anonymize</c>, their
    /// identifying and classified columns set to NULL, rewriting the files that held them. Then every data file of an older
    /// version that still holds the person is removed and recorded in the table's <c>_erasures/</c>, so time travel to
    /// those versions fails with <see cref="ErrorCode.DeltaFileErased"/> naming this erasure instead of showing the person.
    /// A shallow clone is erased before the table it was cloned from: its rows are rewritten into its own folder, and the
    /// files of the other table its older versions named that held the person are recorded in its own <c>_erasures/</c>
    /// (the other table's erasure deletes them), so its older versions fail naming this erasure too. The report is saved
    /// under <see cref="ErasureReportFolder"/>.
    /// </summary>
    /// <remarks>
    /// A run (of the scheduler, or <c>medallion run</c> in another process) that read a table before its erasure may
    /// commit the person into a table erased before the run ended. So after each pass the erasure waits until every run
    /// that started before the pass ended has ended, and searches again: what such runs wrote is erased by another pass.
    /// Runs started later read erased tables only. The erasure is confirmed when a search finds nobody; after
    /// <see cref="MaxErasurePasses"/> passes, or when runs outlast <paramref name="runWait"/>, it fails with
    /// <see cref="ErrorCode.SubjectErasureUnconfirmed"/> (what it erased stays erased; running it again is safe).
    /// </remarks>
    /// <param name="subject">Whom to erase.</param>
    /// <param name="requestedBy">Who runs the erasure, for the report.</param>
    /// <param name="dryRun">Report what would be erased and removed; change nothing and save no report.</param>
    /// <param name="runWait">How long to wait for runs that started before a pass ended (default 10 minutes).</param>
    /// <param name="cancellationToken">Stops the erasure between tables; tables erased by then stay erased.</param>
    public async Task<ErasureReport> EraseSubjectAsync(SubjectIdentifier subject, string requestedBy, bool dryRun = false, TimeSpan? runWait = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentException.ThrowIfNullOrEmpty(requestedBy);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        string id = "erasure-" + started.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        DeltaWriter writer = NewWriter();
        var tables = new List<ErasedTable>();
        SubjectSearch search = await FindSubjectAsync(subject, cancellationToken).ConfigureAwait(false);
        for (int pass = 1; ; pass++)
        {
            // Each table's version once this pass is done with it: its erasure's commit, or the version searched.
            var left = new Dictionary<string, long>(search.Versions, StringComparer.Ordinal);
            foreach (SubjectTableMatch match in search.Tables)
            {
                ErasedTable erased = await EraseFromTableAsync(writer, match, id, started, dryRun, cancellationToken).ConfigureAwait(false);
                tables.Add(erased);
                left[match.Location] = erased.CommittedVersion ?? match.Version;
            }

            if (dryRun)
            {
                break;
            }

            await WaitForRunsStartedBeforeAsync(DateTimeOffset.UtcNow, subject, runWait ?? TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
            // A table nobody wrote since holds what the pass left in it: when no table was written, the pass is confirmed
            // without reading every table again.
            if (await CurrentVersionsAsync(cancellationToken).ConfigureAwait(false) is var now && now.Count == left.Count && now.All(v => left.TryGetValue(v.Key, out long l) && l == v.Value))
            {
                break;
            }

            search = await FindSubjectAsync(subject, cancellationToken).ConfigureAwait(false);
            if (search.Tables.Count == 0)
            {
                break;
            }

            if (pass == MaxErasurePasses)
            {
                throw new MedallionException(ErrorCode.SubjectErasureUnconfirmed,
                    $"The erasure of {subject} found the person again after {pass} passes, in {string.Join(", ", search.Tables.Select(t => t.DisplayName))}: something keeps writing them back."
                    + "\nHelp: a source still holds the person (erase them there, or stop its ingestion), then run the erasure again; what was erased stays erased.");
            }
        }

        var report = new ErasureReport(id, subject.ToString(), requestedBy, started, DateTimeOffset.UtcNow, dryRun, tables);
        return dryRun ? report : report with { SavedTo = await RecordErasureAsync(report, cancellationToken).ConfigureAwait(false) };
    }

    /// <summary>One physical table of an erasure pass: its rows of the person deleted or anonymised, and the older files that still hold them removed.</summary>
    private async Task<ErasedTable> EraseFromTableAsync(DeltaWriter writer, SubjectTableMatch match, string id, DateTimeOffset started, bool dryRun, CancellationToken cancellationToken)
    {
        string location = match.Location;
        DeltaTable table = await OpenDeltaAsync(location, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{match.DisplayName} held the person a moment ago and now has no Delta log at {location}.");
        long rows = match.Rows.Count;
        long? committed = null;
        IReadOnlySet<string> rewritten = new HashSet<string>();
        if (!dryRun)
        {
            DeltaOperationResult result = match.Policy == ErasurePolicy.Anonymize
                ? await writer.UpdateAsync(location, match.Anonymization, match.FoundRowsPredicate, purge: true, cancellationToken).ConfigureAwait(false)
                : await writer.DeleteAsync(location, match.FoundRowsPredicate, purge: true, cancellationToken).ConfigureAwait(false);
            rows = result.RowsAffected;
            committed = result.Version;
            if (result.Committed)
            {
                rewritten = await RemovedByAsync(table, result.Version, cancellationToken).ConfigureAwait(false);
            }
        }

        Snapshot after = await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        List<string> holding = await FilesHoldingAsync(table, after, match.Predicate, live: dryRun, rewritten, cancellationToken).ConfigureAwait(false);
        // A shallow clone's files of another table, named by absolute path: recorded here, deleted by that table's erasure.
        List<string> others = await OtherTablesFilesHoldingAsync(table, after, match.Predicate, live: dryRun, rewritten, cancellationToken).ConfigureAwait(false);
        List<string> unreadableBy = [.. holding, .. others];
        VersionRange? unreadable = unreadableBy.Count == 0 ? null : await VersionsReferencingAsync(table, unreadableBy, dryRun ? after.Version + 1 : committed!.Value, cancellationToken).ConfigureAwait(false);
        if (!dryRun && unreadableBy.Count > 0)
        {
            // The record goes first: a reader must never meet a missing file without the erasure that explains it.
            await ErasedFiles.WriteAsync(table.Store, id, started, committed!.Value, unreadableBy, cancellationToken).ConfigureAwait(false);
            foreach (string key in holding)
            {
                await table.Store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            }

            // The older commits' add statistics (a min or max may be the person's identifier), checkpoints and change
            // data files still hold the person: the erasure's commit becomes the oldest version the table keeps.
            await writer.ForgetHistoryBeforeAsync(location, committed.Value, cancellationToken).ConfigureAwait(false);
            unreadable = new VersionRange(0, committed.Value - 1);
        }

        return new ErasedTable(match.DisplayName, match.Policy == ErasurePolicy.Anonymize ? "anonymize" : "delete", match.MatchedColumns, rows, committed, holding, unreadable)
        {
            Environments = match.Environments.Count == 0 ? null : match.Environments,
        };
    }

    /// <summary>
    /// The files outside the table's own folder (a shallow clone's <c>add</c>s name them by absolute path) that a version
    /// other than <paramref name="snapshot"/> (or, with <paramref name="live"/>, any) names and that hold a row matching
    /// <paramref name="predicate"/>, or are gone already; as the log names them. The <paramref name="known"/> ones hold
    /// such a row without being read. Clones are made on local lakes only, so a URI is left alone.
    /// </summary>
    private async Task<List<string>> OtherTablesFilesHoldingAsync(DeltaTable table, Snapshot snapshot, string predicate, bool live, IReadOnlySet<string> known, CancellationToken cancellationToken)
    {
        var current = new HashSet<string>(live ? [] : snapshot.Files.Select(f => f.Path), StringComparer.Ordinal);
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (CommitEntry commit in table.GetHistoryAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (AddFile add in commit.Actions.OfType<AddFile>())
            {
                if (add.Path.StartsWith("file:", StringComparison.Ordinal) || add.Path.StartsWith('/'))
                {
                    paths.Add(add.Path);
                }
            }
        }

        var holding = new List<string>();
        foreach (string path in paths.Where(p => !current.Contains(p)))
        {
            string local = path.StartsWith("file:", StringComparison.Ordinal) ? new Uri(path).LocalPath : Uri.UnescapeDataString(path);
            if (local.StartsWith(Path.TrimEndingDirectorySeparator(table.Store.Location) + "/", StringComparison.Ordinal))
            {
                continue; // The table's own file, named by absolute path: FilesHoldingAsync's.
            }

            // A file already gone (its table's erasure ran first) is recorded too: a reader meets the erasure, not a missing file.
            if (known.Contains(path) || !File.Exists(local) || await FileHoldsAsync(local, predicate, cancellationToken).ConfigureAwait(false))
            {
                holding.Add(path);
            }
        }

        return holding;
    }

    /// <summary>Waits until no run that started before <paramref name="passEnded"/> is running (the catalog's runs: the scheduler's and the CLI's).</summary>
    private async Task WaitForRunsStartedBeforeAsync(DateTimeOffset passEnded, SubjectIdentifier subject, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_catalog is null)
        {
            return;
        }

        long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (true)
        {
            List<RunRecord> running = (await _catalog.Runs.ListRunsAsync(count: 1000, status: RunStatus.Running, cancellationToken: cancellationToken).ConfigureAwait(false))
                .Where(r => r.StartedAt <= passEnded).ToList();
            if (running.Count == 0)
            {
                return;
            }

            if (Environment.TickCount64 >= deadline)
            {
                throw new MedallionException(ErrorCode.SubjectErasureUnconfirmed,
                    $"The erasure of {subject} is done but not confirmed: run(s) {string.Join(", ", running.Select(r => r.Id))} started before it and were still running after {wait.TotalSeconds:0} s; a run that read a table before its erasure may write the person back."
                    + "\nHelp: let the runs end (or cancel them), then run the erasure again: it erases only what is left.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Keeps an erasure report as a JSON file per erasure under <see cref="ErasureReportFolder"/> (what
    /// <see cref="ListErasuresAsync"/> reads). The report names the person only masked. The act goes into the audit from
    /// where it was asked for (the CLI, the API), which knows the channel.
    /// </summary>
    /// <returns>Where the report file went.</returns>
    private async Task<string> RecordErasureAsync(ErasureReport report, CancellationToken cancellationToken)
    {
        string folder = Path.Combine(Project.Directory, ErasureReportFolder);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, report.Id + ".json");
        await File.WriteAllBytesAsync(path, JsonSerializer.SerializeToUtf8Bytes(report, ErasureReportJson.Default.ErasureReport), cancellationToken).ConfigureAwait(false);
        return Path.GetRelativePath(Project.Directory, path);
    }

    /// <summary>The erasure reports kept in the project, oldest first.</summary>
    public async Task<IReadOnlyList<ErasureReport>> ListErasuresAsync(CancellationToken cancellationToken = default)
    {
        string folder = Path.Combine(Project.Directory, ErasureReportFolder);
        var reports = new List<ErasureReport>();
        if (!Directory.Exists(folder))
        {
            return reports;
        }

        foreach (string path in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            ErasureReport? report = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), ErasureReportJson.Default.ErasureReport);
            if (report is not null)
            {
                reports.Add(report with { SavedTo = Path.GetRelativePath(Project.Directory, path) });
            }
        }

        return reports;
    }

    /// <summary>The person's rows in one table, or null when it holds none.</summary>
    private async Task<SubjectTableMatch?> MatchTableAsync(TableName name, Snapshot snapshot, string relation, SubjectIdentifier subject, HashSet<(TableName Table, string Column)> candidates, IReadOnlyList<LinkedKey> linked, CancellationToken cancellationToken)
    {
        List<string> text = await PiiSampler.TextColumnsAsync(Connection, relation, cancellationToken).ConfigureAwait(false);
        List<string> columns = text.Where(c => candidates.Contains((name, c))).ToList();
        IReadOnlyList<PiiColumnSample> samples = await PiiSampler.SampleAsync(Connection, relation, columns, SubjectSampleRows, cancellationToken).ConfigureAwait(false);
        List<string> compared = samples.Where(s => s.Shares.Any(share => share.Kind == subject.Kind)).Select(s => s.Column).ToList();
        bool raw = text.Any(c => string.Equals(c, SystemColumns.RawLine, StringComparison.OrdinalIgnoreCase));
        if (compared.Count == 0 && !raw && linked.Count == 0)
        {
            return null;
        }

        string literal = DuckDbConnection.QuoteLiteral(subject.Value);
        List<string> conditions = compared.Select(c => PiiDetector.NormalizedSql(subject.Kind, DuckDbConnection.QuoteIdentifier(c)) + " = " + literal).ToList();
        if (raw)
        {
            // A row that did not parse keeps its whole line: look for the identifier as people write it.
            conditions.AddRange(RawForms(subject).Select(form =>
                $"contains(lower({DuckDbConnection.QuoteIdentifier(SystemColumns.RawLine)}), {DuckDbConnection.QuoteLiteral(form.ToLowerInvariant())})"));
        }

        conditions.AddRange(linked.Select(l => l.Condition));
        string predicate = "(" + string.Join(" OR ", conditions) + ")";
        IReadOnlyList<ColumnInfo> docs = await DocsAsync(name, snapshot, cancellationToken).ConfigureAwait(false);
        var rows = new List<IReadOnlyList<SubjectValue>>();
        var matchedColumns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var foundValues = compared.Select(_ => new SortedSet<string>(StringComparer.Ordinal)).ToList();
        using (DuckDbCommand command = Connection.CreateCommand())
        {
            string flags = string.Concat(compared.Select((c, i) => $", ({PiiDetector.NormalizedSql(subject.Kind, DuckDbConnection.QuoteIdentifier(c))} = {literal}) IS TRUE AS \"__m{i}\""))
                + string.Concat(linked.Select((l, i) => $", ({l.Condition}) IS TRUE AS \"__k{i}\""));
            command.CommandText = $"SELECT *{flags} FROM {relation} AS t WHERE {predicate} LIMIT {MaxSubjectRowsPerTable + 1}";
            using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            int fields = reader.FieldCount - compared.Count - linked.Count;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (rows.Count == MaxSubjectRowsPerTable)
                {
                    throw new MedallionException(ErrorCode.SubjectRequestInvalid,
                        $"Table {name} holds more than {MaxSubjectRowsPerTable} rows matching {subject}: that is not one person's data.\nHelp: check that the table's identifier columns are right (a placeholder value shared by many rows?).");
                }

                var row = new List<SubjectValue>(fields);
                for (int i = 0; i < fields; i++)
                {
                    string column = reader.GetName(i);
                    ColumnInfo? doc = docs.FirstOrDefault(d => string.Equals(d.Name, column, StringComparison.OrdinalIgnoreCase));
                    row.Add(new SubjectValue(column, doc?.Description, doc?.Classification, reader.IsDBNull(i) ? null : reader.GetValue(i)));
                }

                for (int m = 0; m < compared.Count; m++)
                {
                    if (reader.GetBoolean(fields + m))
                    {
                        matchedColumns.Add(compared[m]);
                        foundValues[m].Add(reader.GetString(reader.GetOrdinal(compared[m])));
                    }
                }

                for (int k = 0; k < linked.Count; k++)
                {
                    if (reader.GetBoolean(fields + compared.Count + k))
                    {
                        matchedColumns.Add(linked[k].Column);
                    }
                }

                if (raw && matchedColumns.Count == 0)
                {
                    matchedColumns.Add(SystemColumns.RawLine);
                }

                rows.Add(row);
            }
        }

        if (rows.Count == 0)
        {
            return null;
        }

        Entry entry = Find(name);
        ErasurePolicy policy = (entry.Kind == TableKind.Quarantine ? Find(new TableName(name.Namespace, name.Name[..^QuarantineSuffix.Length])).Model : entry.Model)?.Config.Erasure ?? ErasurePolicy.Delete;
        // NULL typed as each column is, so the UPDATE keeps the table's schema.
        List<string> clear = [.. snapshot.Schema.Fields
            .Where(f => matchedColumns.Contains(f.Name) || docs.Any(d => d.Classification is not null && string.Equals(d.Name, f.Name, StringComparison.OrdinalIgnoreCase)))
            .Select(f => $"{DuckDbConnection.QuoteIdentifier(f.Name)} = CAST(NULL AS {Engine.Scanning.DeltaScanSql.TypeName(f.Type)})")];
        IEnumerable<string> foundConditions = compared
            .Select((column, m) => foundValues[m].Count == 0 ? null : $"{DuckDbConnection.QuoteIdentifier(column)} IN ({string.Join(", ", foundValues[m].Select(DuckDbConnection.QuoteLiteral))})")
            .OfType<string>()
            .Concat(conditions.Skip(compared.Count));
        return new SubjectTableMatch(name, entry.Kind, snapshot.Version, [.. compared.Where(matchedColumns.Contains).Concat(matchedColumns.Where(c => !compared.Contains(c)))], rows, policy)
        {
            Predicate = predicate,
            FoundRowsPredicate = "(" + string.Join(" OR ", foundConditions) + ")",
            Anonymization = string.Join(", ", clear),
        };
    }

    /// <summary>The identifier as it may appear in raw text: its normal form and, for a CPF or CNPJ, the punctuated one.</summary>
    private static IEnumerable<string> RawForms(SubjectIdentifier subject)
    {
        yield return subject.Value;
        if (subject.Kind == PiiKind.Cpf)
        {
            string v = subject.Value;
            yield return $"{v[..3]}.{v[3..6]}.{v[6..9]}-{v[9..]}";
        }
        else if (subject.Kind == PiiKind.Cnpj)
        {
            string v = subject.Value;
            yield return $"{v[..2]}.{v[2..5]}.{v[5..8]}/{v[8..12]}-{v[12..]}";
        }
    }

    /// <summary>
    /// The columns that may identify a person: classified ones (model docs, catalog, a quarantine table's model) and every
    /// column connected to one by column lineage, upstream or downstream.
    /// </summary>
    private async Task<HashSet<(TableName Table, string Column)>> IdentifyingColumnsAsync(CancellationToken cancellationToken)
    {
        var columns = new HashSet<(TableName, string)>(new ColumnKeyComparer());
        var classified = new List<(TableName Table, string Column)>();
        foreach (TableName name in TableNames)
        {
            foreach (ColumnInfo doc in await DocsAsync(name, null, cancellationToken).ConfigureAwait(false))
            {
                if (doc.Classification is not null)
                {
                    classified.Add((name, doc.Name));
                    columns.Add((name, doc.Name));
                }
            }
        }

        ModelGraph graph = await GetGraphAsync(cancellationToken).ConfigureAwait(false);
        foreach ((TableName table, string column) in classified.Where(c => Find(c.Table).Kind is TableKind.Model or TableKind.Source))
        {
            IReadOnlyList<LineageEdge> edges;
            try
            {
                edges = graph.GetLineage(table, column, LineageDirection.Both);
            }
            catch (MedallionException e) when (e.Code is ErrorCode.ModelUnknownTable or ErrorCode.ModelSelectionInvalid)
            {
                // A classified column the model no longer outputs: nothing flows through it.
                continue;
            }

            foreach (LineageEdge edge in edges)
            {
                if (edge.UpstreamColumn is not null)
                {
                    columns.Add((edge.Upstream, edge.UpstreamColumn));
                }

                if (edge.DownstreamColumn is not null)
                {
                    columns.Add((edge.Downstream, edge.DownstreamColumn));
                }
            }
        }

        // A quarantine table holds its model's columns: whatever identifies a person there identifies them here.
        foreach (TableName quarantine in TableNames.Where(t => Find(t).Kind == TableKind.Quarantine))
        {
            var owner = new TableName(quarantine.Namespace, quarantine.Name[..^QuarantineSuffix.Length]);
            foreach ((TableName _, string column) in columns.Where(c => c.Item1.Equals(owner)).ToList())
            {
                columns.Add((quarantine, column));
            }
        }

        return columns;
    }

    /// <summary>
    /// Every table, sources first, then each model after the models it reads, a quarantine table right after its model,
    /// other tables last: the order an erasure must follow so no model can copy a person back from an upstream.
    /// </summary>
    private async Task<List<TableName>> LineageOrderAsync(CancellationToken cancellationToken)
    {
        ModelGraph graph = await GetGraphAsync(cancellationToken).ConfigureAwait(false);
        var rank = new Dictionary<TableName, double>();
        IReadOnlyList<IReadOnlyList<ModelDefinition>> layers = graph.GetLayers();
        for (int layer = 0; layer < layers.Count; layer++)
        {
            foreach (ModelDefinition model in layers[layer])
            {
                rank[model.Name] = layer + 1;
            }
        }

        double Rank(TableName name)
        {
            Entry entry = Find(name);
            return entry.Kind switch
            {
                TableKind.Source => 0,
                TableKind.Model => rank.GetValueOrDefault(name, 1),
                TableKind.Quarantine => rank.GetValueOrDefault(new TableName(name.Namespace, name.Name[..^QuarantineSuffix.Length]), 1) + 0.5,
                _ => entry.Registered is null ? 1000 : 999,
            };
        }

        // OrderBy is stable: within a rank, TableNames' order (bronze, silver, gold, then by name) holds.
        return [.. TableNames.OrderBy(Rank)];
    }

    /// <summary>
    /// The table's data files (and change data files) on disk that are not in <paramref name="snapshot"/> (or, with
    /// <paramref name="live"/>, any) and hold a row matching <paramref name="predicate"/>, read raw: deletion vectors are
    /// not applied, since a row marked deleted is still in the file. The <paramref name="known"/> files hold such a row
    /// without being read: the erasure's own commit removed them for it.
    /// </summary>
    private async Task<List<string>> FilesHoldingAsync(DeltaTable table, Snapshot snapshot, string predicate, bool live, IReadOnlySet<string> known, CancellationToken cancellationToken)
    {
        var current = new HashSet<string>(live ? [] : snapshot.Files.Select(f => f.Path), StringComparer.Ordinal);
        var candidates = new List<string>();
        var holding = new List<string>();
        await foreach (ObjectInfo info in table.Store.ListAsync(string.Empty, null, cancellationToken).ConfigureAwait(false))
        {
            if (info.Key.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) && !info.Key.StartsWith("_delta_log/", StringComparison.Ordinal) && !current.Contains(info.Key))
            {
                (known.Contains(info.Key) ? holding : candidates).Add(info.Key);
            }
        }

        // DuckDB reads local files only: on an object store the candidates come through the cache, fetched in parallel.
        LocalMirror mirror = LocalMirror.Of(table.Store);
        await mirror.FetchAsync(candidates, cancellationToken).ConfigureAwait(false);
        foreach (string key in candidates)
        {
            if (await FileHoldsAsync(mirror.PathOf(key), predicate, cancellationToken).ConfigureAwait(false))
            {
                holding.Add(key);
            }
        }

        return holding;
    }

    /// <summary>Whether the local Parquet file at <paramref name="path"/> holds a row matching <paramref name="predicate"/>.</summary>
    private async Task<bool> FileHoldsAsync(string path, string predicate, CancellationToken cancellationToken)
    {
        string quoted = DuckDbConnection.QuoteLiteral(path);
        using DuckDbCommand command = Connection.CreateCommand();
        try
        {
            command.CommandText = $"SELECT EXISTS (SELECT 1 FROM read_parquet({quoted}) AS t WHERE {predicate})";
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
        catch (DuckDbException)
        {
            // An older file may lack a column the predicate names (the schema grew since): test the columns it has.
            return await HoldsByColumnsPresentAsync(quoted, predicate, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a file holds the person, with the predicate's conditions on columns the file lacks dropped.</summary>
    private async Task<bool> HoldsByColumnsPresentAsync(string quotedPath, string predicate, CancellationToken cancellationToken)
    {
        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (DuckDbCommand describe = Connection.CreateCommand())
        {
            describe.CommandText = $"SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet({quotedPath}))";
            using DuckDbDataReader reader = await describe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                present.Add(reader.GetString(0));
            }
        }

        // The predicate is an OR of conditions, each on one quoted column: keep those whose column the file has.
        List<string> kept = predicate.Trim('(', ')').Split(" OR ", StringSplitOptions.None)
            .Where(condition => present.Any(c => condition.Contains(DuckDbConnection.QuoteIdentifier(c), StringComparison.OrdinalIgnoreCase)))
            .ToList();
        if (kept.Count == 0)
        {
            return false;
        }

        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = $"SELECT EXISTS (SELECT 1 FROM read_parquet({quotedPath}) AS t WHERE {string.Join(" OR ", kept)})";
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    /// <summary>The data files the commit of <paramref name="version"/> removed.</summary>
    private static async Task<IReadOnlySet<string>> RemovedByAsync(DeltaTable table, long version, CancellationToken cancellationToken)
    {
        await foreach (CommitEntry commit in table.GetHistoryAsync(cancellationToken).ConfigureAwait(false))
        {
            if (commit.Version == version)
            {
                return commit.Actions.OfType<RemoveFile>().Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
            }

            if (commit.Version < version)
            {
                break;
            }
        }

        return new HashSet<string>();
    }

    /// <summary>The latest version of every built physical table of the project, by location.</summary>
    private async Task<Dictionary<string, long>> CurrentVersionsAsync(CancellationToken cancellationToken)
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (PhysicalTable physical in await PhysicalTablesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await OpenDeltaAsync(physical.Location, cancellationToken).ConfigureAwait(false) is { } table)
            {
                versions[physical.Location] = (await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Version;
            }
        }

        return versions;
    }

    /// <summary>The versions before <paramref name="before"/> that reference any of <paramref name="files"/>: from the first that added one.</summary>
    private static async Task<VersionRange?> VersionsReferencingAsync(DeltaTable table, List<string> files, long before, CancellationToken cancellationToken)
    {
        var keys = new HashSet<string>(files, StringComparer.Ordinal);
        long? first = null;
        await foreach (CommitEntry commit in table.GetHistoryAsync(cancellationToken).ConfigureAwait(false))
        {
            if (commit.Actions.OfType<AddFile>().Any(a => keys.Contains(a.Path)) || commit.Actions.OfType<AddCdcFile>().Any(a => keys.Contains(a.Path)))
            {
                first = first is null ? commit.Version : Math.Min(first.Value, commit.Version);
            }
        }

        return first is null || first.Value > before - 1 ? null : new VersionRange(first.Value, before - 1);
    }

    private sealed class ColumnKeyComparer : IEqualityComparer<(TableName Table, string Column)>
    {
        public bool Equals((TableName Table, string Column) x, (TableName Table, string Column) y) =>
            x.Table.Equals(y.Table) && string.Equals(x.Column, y.Column, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((TableName Table, string Column) obj) =>
            HashCode.Combine(obj.Table, StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Column));
    }
}
