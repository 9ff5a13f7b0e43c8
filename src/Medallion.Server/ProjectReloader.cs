using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines;
using Medallion.Server.Scheduling;
using Microsoft.Extensions.Logging;

namespace Medallion.Server;

/// <summary>
/// Loads the project's files again while the server runs, when asked (<c>POST /api/reload</c>), on SIGHUP, or when a
/// project file changes (changes are gathered until the files have been quiet for <see cref="Debounce"/>, so an editor's
/// save or a <c>git pull</c> is one reload). A project that no longer loads keeps the scheduler on the last good
/// definitions; the error is logged and kept in <see cref="Status"/>.
/// </summary>
internal sealed class ProjectReloader : IAsyncDisposable
{
    /// <summary>How long the project's files must be quiet after a change before it is reloaded.</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(500);

    /// <summary>What a project is made of; changes anywhere else (tables, the catalog, data files) are not definitions.</summary>
    private static readonly string[] s_folders = ["models", "jobs", "sources", "access"];

    private readonly JobScheduler _scheduler;
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly object _watchersLock = new();
    private PosixSignalRegistration? _hangup;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _changes;
    private Task _loop = Task.CompletedTask;

    private ProjectReloader(JobScheduler scheduler, TimeProvider time, ILogger logger)
    {
        _scheduler = scheduler;
        _directory = scheduler.Project.Directory;
        _time = time;
        _logger = logger;
        DateTimeOffset now = time.GetUtcNow();
        Status = new ReloadStatus(now, true, null, now);
    }

    /// <summary>How the last attempt went, and when the definitions in use were loaded.</summary>
    public ReloadStatus Status { get; private set; }

    /// <summary>Starts listening for SIGHUP and, when <paramref name="watchFiles"/>, for changes of the project's files.</summary>
    public static ProjectReloader Start(JobScheduler scheduler, bool watchFiles, TimeProvider time, ILogger logger)
    {
        var reloader = new ProjectReloader(scheduler, time, logger);
        if (watchFiles)
        {
            reloader.Watch();
            reloader._loop = Task.Run(reloader.DebounceLoopAsync, CancellationToken.None);
        }

        try
        {
            reloader._hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                // Handled: the default action of SIGHUP would end the process.
                signal.Cancel = true;
                _ = reloader.ReloadAsync("SIGHUP", CancellationToken.None);
            });
        }
        catch (PlatformNotSupportedException)
        {
            // No SIGHUP here (Windows): the API and the file watcher still reload.
        }

        return reloader;
    }

    /// <summary>Loads the project again and hands it to the scheduler; on failure the scheduler keeps what it had.</summary>
    /// <param name="reason">What asked for the reload, for the log.</param>
    /// <param name="cancellationToken">Cancels waiting for a reload under way.</param>
    /// <returns>The status after this attempt.</returns>
    public async Task<ReloadStatus> ReloadAsync(string reason, CancellationToken cancellationToken)
    {
        await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DateTimeOffset attempt = _time.GetUtcNow();
            try
            {
                MedallionProject project = await MedallionProject.LoadAsync(_directory, cancellationToken: _stop.Token).ConfigureAwait(false);
                await _scheduler.ReloadAsync(project, _stop.Token).ConfigureAwait(false);
                Status = new ReloadStatus(attempt, true, null, attempt);
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    _logger.LogInformation("Reloaded the project ({Reason}): {Jobs} jobs", reason, project.Jobs.Count);
                }
            }
            catch (Exception exception) when (exception is MedallionException or IOException)
            {
                string error = exception is MedallionException medallion ? $"{medallion.CodeText}: {medallion.Message}" : exception.Message;
                Status = Status with { LastAttempt = attempt, Ok = false, Error = error };
                _logger.LogError("Reloading the project ({Reason}) failed; the server keeps the definitions loaded at {LoadedAt:O}. {Error}", reason, Status.LoadedAt, Status.Error);
            }

            return Status;
        }
        finally
        {
            _reloading.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _hangup?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        lock (_watchersLock)
        {
            foreach (FileSystemWatcher watcher in _watchers)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
        }

        await _loop.ConfigureAwait(false);
        // A reload under way ends before the scheduler it reloads goes.
        await _reloading.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        _reloading.Dispose();
        _stop.Dispose();
    }

    /// <summary>
    /// One watcher on the project folder itself (medallion.yml, and the definition folders appearing or going) and one
    /// per definition folder, recursive. The lake and the catalog are not watched: they change with every commit.
    /// </summary>
    private void Watch()
    {
        lock (_watchersLock)
        {
            foreach (FileSystemWatcher old in _watchers)
            {
                old.Dispose();
            }

            _watchers.Clear();
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            var root = new FileSystemWatcher(_directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite };
            root.Changed += (_, e) => OnRootChange(e.Name);
            root.Created += (_, e) => OnRootChange(e.Name);
            root.Deleted += (_, e) => OnRootChange(e.Name);
            root.Renamed += (_, e) => { OnRootChange(e.OldName); OnRootChange(e.Name); };
            _watchers.Add(root);
            foreach (string folder in s_folders.Select(f => Path.Combine(_directory, f)).Where(Directory.Exists))
            {
                var watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite };
                watcher.Changed += (_, _) => OnChange();
                watcher.Created += (_, _) => OnChange();
                watcher.Deleted += (_, _) => OnChange();
                watcher.Renamed += (_, _) => OnChange();
                _watchers.Add(watcher);
            }

            foreach (FileSystemWatcher watcher in _watchers)
            {
                watcher.EnableRaisingEvents = true;
            }
        }
    }

    private void OnRootChange(string? name)
    {
        if (string.Equals(name, MedallionProject.FileName, StringComparison.Ordinal))
        {
            OnChange();
        }
        else if (s_folders.Contains(name, StringComparer.Ordinal))
        {
            // A definition folder came or went: watch what is there now.
            Watch();
            OnChange();
        }
    }

    private void OnChange()
    {
        Interlocked.Increment(ref _changes);
        Volatile.Read(ref _changed).TrySetResult();
    }

    /// <summary>Waits for a change, then for <see cref="Debounce"/> without one, then reloads.</summary>
    private async Task DebounceLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        try
        {
            while (true)
            {
                await Volatile.Read(ref _changed).Task.WaitAsync(stop).ConfigureAwait(false);
                Volatile.Write(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                long seen;
                do
                {
                    seen = Interlocked.Read(ref _changes);
                    // Real time: the files' quiet is the file system's, whatever clock the scheduler plans with.
                    await Task.Delay(Debounce, TimeProvider.System, stop).ConfigureAwait(false);
                }
                while (Interlocked.Read(ref _changes) != seen);

                await ReloadAsync("project files changed", stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}

/// <summary>How the project's definitions were last reloaded.</summary>
/// <param name="LastAttempt">When the project was last loaded or reloaded (or tried to be).</param>
/// <param name="Ok">Whether that attempt succeeded; when not, the server runs the definitions loaded at <paramref name="LoadedAt"/>.</param>
/// <param name="Error">Why the attempt failed (code, file:line:column and message); null when it succeeded.</param>
/// <param name="LoadedAt">When the definitions in use were loaded.</param>
public sealed record ReloadStatus(DateTimeOffset LastAttempt, bool Ok, string? Error, DateTimeOffset LoadedAt);
