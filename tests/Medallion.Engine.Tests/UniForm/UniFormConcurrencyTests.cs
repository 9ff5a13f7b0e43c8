using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Medallion.Delta;
using Medallion.Delta.Iceberg;
using Medallion.Delta.Snapshots;
using Medallion.Engine.Tests.Writing;
using Medallion.Storage;

namespace Medallion.Engine.Tests.UniForm;

/// <summary>
/// Two writers converting one UniForm table at once: each metadata number is created once (put-if-absent), the loser
/// deletes what it wrote for it and converts on top of the winner's file, or stops when the winner's shows its version.
/// </summary>
public sealed class UniFormConcurrencyTests : IDisposable
{
    private static readonly Dictionary<string, string> s_uniform = new()
    {
        ["delta.universalFormat.enabledFormats"] = "iceberg",
        ["delta.enableIcebergCompatV2"] = "true",
    };

    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task The_loser_of_a_metadata_file_converts_its_newer_version_on_top_of_the_winners()
    {
        (string path, _, (IcebergMetadataFile Metadata, bool Written)[] results) = await RaceAsync(olderFirst: true);

        Assert.Equal([(2L, true), (3L, true)], results.Select(r => (r.Metadata.Number, r.Written)));
        IcebergReader iceberg = IcebergReader.Read(path);
        Assert.Equal("2", iceberg.Property("converted_delta_version"));
        using JsonDocument winner = JsonDocument.Parse(results[0].Metadata.Json);
        long winnerSnapshot = winner.RootElement.GetProperty("current-snapshot-id").GetInt64();
        Assert.Equal(winnerSnapshot, iceberg.CurrentSnapshot.GetProperty("parent-snapshot-id").GetInt64());
        Assert.Contains(winnerSnapshot, iceberg.Metadata.GetProperty("snapshot-log").EnumerateArray().Select(e => e.GetProperty("snapshot-id").GetInt64()));
        Assert.Equal(6, iceberg.LiveFiles.Sum(f => f.RecordCount));
    }

    [Fact]
    public async Task The_loser_whose_version_the_winner_already_shows_stops_without_writing()
    {
        (string path, _, (IcebergMetadataFile Metadata, bool Written)[] results) = await RaceAsync(olderFirst: false);

        Assert.Equal([(2L, false), (2L, true)], results.Select(r => (r.Metadata.Number, r.Written)));
        Assert.Equal([1L, 2L], IcebergReader.MetadataFiles(path).Keys);
        Assert.Equal("2", IcebergReader.Read(path).Property("converted_delta_version"));
    }

    [Fact]
    public async Task The_loser_deletes_the_manifests_it_wrote_for_the_file_it_lost()
    {
        (string path, RacingStore store, _) = await RaceAsync(olderFirst: false);

        IcebergReader iceberg = IcebergReader.Read(path);
        HashSet<string> referenced = [.. iceberg.Manifests.Select(m => m.Path), iceberg.CurrentSnapshot.GetProperty("manifest-list").GetString()!];
        Assert.Equal(4, store.Written.Count);
        Assert.All(store.Written.Where(key => File.Exists(Path.Combine(path, key))), key => Assert.Contains(new Uri(Path.Combine(path, key)).AbsoluteUri, referenced));
        Assert.Equal(2, store.Written.Count(key => File.Exists(Path.Combine(path, key))));
    }

    [Fact]
    public async Task Two_concurrent_commits_to_one_uniform_table_both_stand_and_the_metadata_ends_at_the_newest_version()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL") { Properties = s_uniform });
        using var other = new WriterFixture();

        DeltaOperationResult[] results = await Task.WhenAll(
            _f.Writer.WriteAsync(path, "SELECT i::BIGINT AS id FROM range(0, 3) r(i)", new DeltaWriteOptions { Mode = DeltaWriteMode.Append }),
            other.Writer.WriteAsync(path, "SELECT i::BIGINT AS id FROM range(3, 7) r(i)", new DeltaWriteOptions { Mode = DeltaWriteMode.Append }));

        Assert.All(results, r => Assert.True(r.Committed));
        Assert.All(results, r => Assert.Empty(r.Warnings));
        SortedDictionary<long, string> files = IcebergReader.MetadataFiles(path);
        Assert.Equal(Enumerable.Range(1, files.Count).Select(n => (long)n), files.Keys);
        IcebergReader iceberg = IcebergReader.Read(path);
        Assert.Equal("2", iceberg.Property("converted_delta_version"));
        Assert.Equal(7, iceberg.LiveFiles.Sum(f => f.RecordCount));
    }

    /// <summary>
    /// Converts versions 1 and 2 of a UniForm table whose Iceberg metadata shows version 0 only (the two later files
    /// removed) at once, on a store where both reach their metadata file before either creates it: the results, older first.
    /// </summary>
    private async Task<(string Path, RacingStore Store, (IcebergMetadataFile Metadata, bool Written)[] Results)> RaceAsync(bool olderFirst)
    {
        (string path, Snapshot older, Snapshot newer) = await TwoUnconvertedVersionsAsync();
        var store = new RacingStore(new LocalObjectStore(path), firstVersion: olderFirst ? older.Version : newer.Version);
        var table = new DeltaTable(store);
        (IcebergMetadataFile, bool)[] results = await Task.WhenAll(
            IcebergConverter.ConvertAsync(table, older, new Uri(path).AbsoluteUri),
            IcebergConverter.ConvertAsync(table, newer, new Uri(path).AbsoluteUri));
        return (path, store, results);
    }

    /// <summary>A UniForm table at version 2 whose Iceberg metadata shows version 0 only (the two later files removed), and its snapshots 1 and 2.</summary>
    private async Task<(string Path, Snapshot Older, Snapshot Newer)> TwoUnconvertedVersionsAsync()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL") { Properties = s_uniform });
        await _f.Writer.WriteAsync(path, "SELECT i::BIGINT AS id FROM range(0, 3) r(i)", new DeltaWriteOptions { Mode = DeltaWriteMode.Append });
        await _f.Writer.WriteAsync(path, "SELECT i::BIGINT AS id FROM range(3, 6) r(i)", new DeltaWriteOptions { Mode = DeltaWriteMode.Append });
        foreach ((long number, string file) in IcebergReader.MetadataFiles(path))
        {
            if (number > 1)
            {
                File.Delete(file);
            }
        }

        return (path, await _f.SnapshotAsync(path, 1), await _f.SnapshotAsync(path, 2));
    }

    /// <summary>
    /// A local store on which the first two creations of a metadata file meet before either is made, and the one for
    /// <c>firstVersion</c> goes first: two conversions that read the same newest file race for the same next one. Records the
    /// manifests and manifest lists written meanwhile.
    /// </summary>
    private sealed class RacingStore(IObjectStore inner, long firstVersion) : IObjectStore
    {
        private readonly TaskCompletionSource _bothArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public ConcurrentBag<string> Written { get; } = [];

        public string Location => inner.Location;

        public bool SupportsConditionalPut => inner.SupportsConditionalPut;

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter = null, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, startAfter, cancellationToken);

        public Task<byte[]> ReadAllAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAllAsync(key, cancellationToken);

        public Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default) => inner.ReadRangeAsync(key, offset, length, cancellationToken);

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _arrived) < 2 && key.EndsWith(".avro", StringComparison.Ordinal))
            {
                Written.Add(key);
            }

            return inner.PutAsync(key, content, cancellationToken);
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default) => inner.GetInfoAsync(key, cancellationToken);

        public async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            if (!key.EndsWith(".metadata.json", StringComparison.Ordinal) || Interlocked.Increment(ref _arrived) > 2)
            {
                return await inner.PutIfAbsentAsync(key, content, cancellationToken);
            }

            if (Volatile.Read(ref _arrived) == 2)
            {
                _bothArrived.TrySetResult();
            }

            await _bothArrived.Task.WaitAsync(cancellationToken);
            bool first = Encoding.UTF8.GetString(content.Span).Contains($"\"converted_delta_version\": \"{firstVersion}\"", StringComparison.Ordinal);
            if (!first)
            {
                await _firstDone.Task.WaitAsync(cancellationToken);
            }

            try
            {
                return await inner.PutIfAbsentAsync(key, content, cancellationToken);
            }
            finally
            {
                if (first)
                {
                    _firstDone.TrySetResult();
                }
            }
        }
    }
}
