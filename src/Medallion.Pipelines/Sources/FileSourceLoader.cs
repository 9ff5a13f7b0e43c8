using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Storage;
using Microsoft.Extensions.Logging;

namespace Medallion.Pipelines.Sources;

/// <summary>
/// Loads a file source (CSV, JSON lines, Parquet, Debezium events, spreadsheets matching a glob) into its bronze Delta table.
/// </summary>
/// <remarks>
/// Guarantees:
/// <list type="bullet">
/// <item>Each file is loaded once. The set of loaded files (path, size, modification time, SHA-256) is a metadata domain
/// of the bronze table written in the same commit as the rows, so a crash before the commit loads nothing and leaves no
/// record, and a rerun after a commit finds nothing new. All new files of one call go into one commit. A file whose
/// content changed after it was loaded is loaded again, with a warning (its earlier rows stay).</item>
/// <item>Every row is kept: bronze has the file's columns plus <c>_source_file</c> (project-relative), <c>_ingested_at</c>
/// and <c>_run_id</c>; text formats (CSV, JSON lines, Debezium) also <c>_source_line</c> (first line of the record) and,
/// for rows that could not be parsed, <c>_raw_line</c> (the record's text) and <c>_parse_error</c>, with the typed
/// columns null. Parquet, typed and without lines, has neither. Spreadsheets have <c>_sheet</c> and <c>_source_row</c>
/// (the sheet's row number) in place of the line, and the same two columns for rows that could not be read.</item>
/// <item>Schemas are inferred by DuckDB's sniffers (reader options override) and evolve: new columns are added, a
/// column whose values fit the table's type is cast to it, and a column the table has as text takes any type as text;
/// any other change of type fails naming the file, column and both types.</item>
/// </list>
/// Two loads of the same table at once are ordered by the domain's <c>txn</c> version: the later one re-reads what the
/// first committed and loads only what is still new.
/// </remarks>
public static partial class FileSourceLoader
{
    private const int ConcurrentLoadRetries = 3;

    /// <summary>
    /// Loads the files of <paramref name="source"/> that the target table has not loaded yet, in one commit.
    /// </summary>
    /// <param name="project">The project the source belongs to (paths are relative to it).</param>
    /// <param name="source">The file source.</param>
    /// <param name="writer">
    /// A writer of the project (<see cref="ProjectEnvironment.CreateWriter"/>), which reads the table's state and commits the rows, on its open DuckDB connection (not used by anything else meanwhile;
    /// temp tables the load creates there are dropped). Its snapshots are the ones already read of the target table (a
    /// run's or a server's, shared with what reads the table next): the load reads only the log entries newer than their
    /// entry, and leaves the table's state there for the next reader. Its logs get the commit's retries and conflicts, and
    /// its <see cref="DeltaWriter.CommitFence"/> may refuse the commit: nothing is loaded then, not even the record of files.
    /// </param>
    /// <param name="runId">The run's id, stored in <c>_run_id</c> and with each loaded file.</param>
    /// <param name="time">Gives <c>_ingested_at</c>.</param>
    /// <param name="cancellationToken">Cancels the load; nothing is committed then.</param>
    /// <returns>What was loaded; <see cref="SourceLoadResult.CommittedVersion"/> is null when nothing was new.</returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.SourceFileUnreadable"/> when a file cannot be opened or read (the message names it);
    /// <see cref="ErrorCode.SourceSchemaIncompatible"/> when a file's column changes type incompatibly;
    /// <see cref="ErrorCode.SourceLoadStateInvalid"/> when the table's record of loaded files is damaged;
    /// <see cref="ErrorCode.DeltaConcurrentModification"/> when other loads kept committing first;
    /// the fence's own error when it refused the commit.
    /// </exception>
    public static async Task<SourceLoadResult> LoadAsync(
        MedallionProject project, SourceDefinition source, DeltaWriter writer, string runId, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(time);
        string tablePath = ProjectCatalog.TableLocation(project, source.Target);
        for (int attempt = 0; ; attempt++)
        {
            SourceLoadResult? result = await LoadOnceAsync(project, source, writer, tablePath, runId, time, cancellationToken).ConfigureAwait(false);
            if (result is not null)
            {
                return result;
            }

            if (attempt >= ConcurrentLoadRetries)
            {
                throw new MedallionException(ErrorCode.DeltaConcurrentModification,
                    $"Source '{source.Name}' could not load into {source.Target} at '{tablePath}': other loads of the table committed first {attempt + 1} times in a row.\nHelp: run the load again when the other loads have finished.");
            }
        }
    }

    /// <summary>One attempt; null when a concurrent load committed first (then the caller tries again on its result).</summary>
    private static async Task<SourceLoadResult?> LoadOnceAsync(
        MedallionProject project, SourceDefinition source, DeltaWriter writer, string tablePath, string runId, TimeProvider time, CancellationToken cancellationToken)
    {
        DuckDbConnection connection = writer.Connection;
        Snapshot? snapshot = await writer.TryGetSnapshotAsync(tablePath, cancellationToken).ConfigureAwait(false);
        LoadedFiles loaded = ReadLoaded(snapshot, tablePath);
        long sequence = (snapshot is not null && snapshot.TransactionVersions.TryGetValue(LoadedFiles.Domain, out long v) ? v : 0) + 1;
        var warnings = new List<string>();
        IReadOnlyList<string> matching = await ListFilesAsync(project, source, connection, cancellationToken).ConfigureAwait(false);
        if (matching.Count == 0)
        {
            warnings.Add($"Source '{source.Name}': no files match '{source.Path}' (in {project.Directory}); nothing to load.");
            return new SourceLoadResult(source.Target, null, [], 0, 0, warnings);
        }

        List<SourceFile> files = await NewFilesAsync(project, source, matching, loaded, warnings, cancellationToken).ConfigureAwait(false);
        if (files.Count == 0)
        {
            return new SourceLoadResult(source.Target, null, [], 0, 0, warnings);
        }

        var context = new LoadContext(project, source, connection, snapshot, runId, time.GetUtcNow(), warnings, tablePath);
        StagedLoad staged;
        try
        {
            staged = source.Format switch
            {
                SourceFormat.Csv => await StageCsvAsync(context, files, cancellationToken).ConfigureAwait(false),
                SourceFormat.JsonLines => await StageJsonLinesAsync(context, files, cancellationToken).ConfigureAwait(false),
                SourceFormat.Debezium => await StageDebeziumAsync(context, files, cancellationToken).ConfigureAwait(false),
                SourceFormat.Xlsx or SourceFormat.Xls => await StageSpreadsheetAsync(context, files, cancellationToken).ConfigureAwait(false),
                _ => await StageParquetAsync(context, files, cancellationToken).ConfigureAwait(false),
            };
        }
        catch
        {
            await context.DropTempTablesAsync().ConfigureAwait(false);
            throw;
        }

        try
        {
            foreach (SourceFile f in files)
            {
                loaded.Set(f.Relative, new LoadedFile(f.Size, f.Modified, f.Sha256 ?? throw new InvalidOperationException("A staged file has no hash."), runId));
            }

            DeltaOperationResult written;
            try
            {
                written = await writer.WriteAsync(tablePath, staged.Sql, new DeltaWriteOptions
                {
                    Mode = DeltaWriteMode.Append,
                    MergeSchema = true,
                    ApplicationId = LoadedFiles.Domain,
                    ApplicationVersion = sequence,
                    DomainMetadata = new Dictionary<string, string> { [LoadedFiles.Domain] = loaded.Serialize() },
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code is ErrorCode.DeltaConcurrentModification or ErrorCode.DeltaTableAlreadyExists)
            {
                // Another load committed between our read and our commit (same domain, or it created the table):
                // our data files stay orphans, and the next attempt starts from what that load recorded.
                return null;
            }

            if (!written.Committed)
            {
                // The txn version moved past ours: another load committed after we read the record of loaded files.
                return null;
            }

            warnings.AddRange(written.Warnings);
            var names = new List<string>(files.Count);
            foreach (SourceFile f in files)
            {
                names.Add(f.Relative);
            }

            return new SourceLoadResult(source.Target, written.Version, names, written.RowsAffected, staged.RowsRejected, warnings);
        }
        finally
        {
            await context.DropTempTablesAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The files of <paramref name="source"/> that a load would load now: matching its path and not loaded by its bronze
    /// table yet, or changed since (content hashed only when size or modification time moved). Nothing is read but the
    /// table's log and the files' metadata.
    /// </summary>
    /// <param name="project">The project the source belongs to.</param>
    /// <param name="source">The file source.</param>
    /// <param name="connection">An open DuckDB connection (for the glob).</param>
    /// <param name="snapshots">
    /// The snapshots already read of the target table, as for <see cref="LoadAsync"/>: a server that looks every few
    /// seconds lists only the log entries newer than its last look. Null: the table is read from its checkpoint on.
    /// </param>
    /// <param name="cancellationToken">Cancels the look.</param>
    /// <returns>Project-relative paths, in ordinal order.</returns>
    /// <exception cref="MedallionException">As <see cref="LoadAsync"/> for unreadable files and a damaged record of loaded files.</exception>
    public static async Task<IReadOnlyList<string>> FindNewFilesAsync(
        MedallionProject project, SourceDefinition source, DuckDbConnection connection, DeltaSnapshotCache? snapshots = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(connection);
        string tablePath = ProjectCatalog.TableLocation(project, source.Target);
        Snapshot? snapshot = await new DeltaWriter(connection) { Snapshots = snapshots ?? new DeltaSnapshotCache(), Stores = project.Stores }.TryGetSnapshotAsync(tablePath, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> matching = await ListFilesAsync(project, source, connection, cancellationToken).ConfigureAwait(false);
        List<SourceFile> files = await NewFilesAsync(project, source, matching, ReadLoaded(snapshot, tablePath), [], cancellationToken).ConfigureAwait(false);
        return [.. files.Select(f => f.Relative)];
    }

    private static LoadedFiles ReadLoaded(Snapshot? snapshot, string tablePath) =>
        snapshot is not null && snapshot.DomainMetadata.TryGetValue(LoadedFiles.Domain, out string? state)
            ? LoadedFiles.Parse(state, tablePath)
            : LoadedFiles.Empty();

    /// <summary>Of the matching files, those not loaded yet or changed since they were (with a warning for the latter).</summary>
    private static async Task<List<SourceFile>> NewFilesAsync(
        MedallionProject project, SourceDefinition source, IReadOnlyList<string> matching, LoadedFiles loaded, List<string> warnings, CancellationToken cancellationToken)
    {
        var files = new List<SourceFile>();
        foreach (string relative in matching)
        {
            string absolute = project.Resolve(relative);
            FileInfo info = Stat(absolute);
            var modified = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
            if (loaded.TryGet(relative, out LoadedFile before))
            {
                if (before.Size == info.Length && before.Modified == modified)
                {
                    continue;
                }

                string hash = await HashAsync(absolute, cancellationToken).ConfigureAwait(false);
                if (string.Equals(hash, before.Sha256, StringComparison.Ordinal))
                {
                    continue;
                }

                warnings.Add($"Source '{source.Name}': '{relative}' changed since it was loaded (run {before.RunId ?? "?"}); it is loaded again and its earlier rows stay in {source.Target} (tell them apart by _run_id).");
            }

            files.Add(new SourceFile(relative, absolute, info.Length, modified));
        }

        return files;
    }

    /// <summary>The files matching the glob, project-relative with forward slashes, in ordinal order (DuckDB's own glob, so <c>**</c> works as in its readers).</summary>
    private static async Task<IReadOnlyList<string>> ListFilesAsync(MedallionProject project, SourceDefinition source, DuckDbConnection connection, CancellationToken cancellationToken)
    {
        string pattern = project.Resolve(source.Path);
        var files = new List<string>();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT file FROM glob({DuckDbConnection.QuoteLiteral(pattern)})";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string file = reader.GetString(0);
                if (File.Exists(file))
                {
                    files.Add(Path.GetRelativePath(project.Directory, file).Replace('\\', '/'));
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static FileInfo Stat(string path)
    {
        try
        {
            var info = new FileInfo(path);
            // Opening proves the file is readable before any reader touches it, so the error names the file plainly.
            using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1))
            {
            }

            return info;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e);
        }
    }

    internal static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e);
        }
    }

    internal static MedallionException Unreadable(string path, Exception inner) =>
        new(ErrorCode.SourceFileUnreadable,
            $"Cannot read the source file '{path}': {inner.Message}\nHelp: check that the file exists and that this user may read it; nothing was loaded.", inner);

    /// <summary>Wraps a DuckDB reader failure on one file with its name.</summary>
    internal static MedallionException ReadFailed(SourceFile file, SourceDefinition source, Exception inner) =>
        new(ErrorCode.SourceFileUnreadable,
            $"Source '{source.Name}' ({source.Format}) cannot read '{file.Relative}': {inner.Message}\nHelp: check the file's format, or set reader options under 'options' in {source.Location.File}; nothing was loaded.", inner);

    /// <summary>Renders a reader option from the source file as a DuckDB named parameter value.</summary>
    internal static string OptionValue(string value)
    {
        string v = value.Trim();
        if (v is "true" or "false" || double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || v.StartsWith('{') || v.StartsWith('['))
        {
            return v;
        }

        return DuckDbConnection.QuoteLiteral(value);
    }

    /// <summary>The reader call for one file with the source's options plus <paramref name="extra"/> (name = SQL value).</summary>
    internal static string ReaderCall(string function, string path, IReadOnlyDictionary<string, string> options, params (string Name, string Value)[] extra) =>
        ReaderCallOn(function, DuckDbConnection.QuoteLiteral(path), options, extra);

    /// <summary>The reader call on <paramref name="pathsSql"/> (a SQL string literal or list of them) with the source's options plus <paramref name="extra"/>.</summary>
    internal static string ReaderCallOn(string function, string pathsSql, IReadOnlyDictionary<string, string> options, params (string Name, string Value)[] extra)
    {
        var sql = new StringBuilder(function).Append('(').Append(pathsSql);
        foreach ((string name, string value) in extra)
        {
            sql.Append(", ").Append(name).Append(" = ").Append(value);
        }

        foreach ((string name, string value) in options)
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException($"The reader option '{name}' is not a DuckDB option name.", nameof(options));
            }

            sql.Append(", ").Append(name).Append(" = ").Append(OptionValue(value));
        }

        return sql.Append(')').ToString();
    }
}
