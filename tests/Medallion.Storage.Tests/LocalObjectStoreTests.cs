using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Storage.Tests;

public sealed class LocalObjectStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LocalObjectStore _store;

    public LocalObjectStoreTests() => _store = new LocalObjectStore(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private static ReadOnlyMemory<byte> Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private async Task<List<string>> KeysAsync(string prefix, string? startAfter = null)
    {
        var keys = new List<string>();
        await foreach (ObjectInfo info in _store.ListAsync(prefix, startAfter))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    [Fact]
    public async Task Put_then_read_returns_the_same_bytes()
    {
        await _store.PutAsync("a/b.txt", Bytes("hello"));

        Assert.Equal("hello", Encoding.UTF8.GetString(await _store.ReadAllAsync("a/b.txt")));
    }

    [Fact]
    public async Task Put_overwrites_an_existing_object()
    {
        await _store.PutAsync("x", Bytes("one"));
        await _store.PutAsync("x", Bytes("two"));

        Assert.Equal("two", Encoding.UTF8.GetString(await _store.ReadAllAsync("x")));
    }

    [Fact]
    public async Task Put_if_absent_creates_the_object_when_it_does_not_exist()
    {
        Assert.True(await _store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        Assert.Equal("{}", Encoding.UTF8.GetString(await _store.ReadAllAsync("_delta_log/00000000000000000000.json")));
    }

    [Fact]
    public async Task Put_if_absent_returns_false_and_keeps_the_first_content_when_the_object_exists()
    {
        await _store.PutIfAbsentAsync("k", Bytes("first"));

        Assert.False(await _store.PutIfAbsentAsync("k", Bytes("second")));
        Assert.Equal("first", Encoding.UTF8.GetString(await _store.ReadAllAsync("k")));
    }

    [Fact]
    public async Task Put_if_absent_lets_exactly_one_of_many_concurrent_writers_win()
    {
        Task<bool>[] writers = Enumerable.Range(0, 16)
            .Select(i => Task.Run(() => _store.PutIfAbsentAsync("race.json", Bytes("writer " + i))))
            .ToArray();

        bool[] results = await Task.WhenAll(writers);

        Assert.Single(results, r => r);
        string winner = "writer " + Array.IndexOf(results, true);
        Assert.Equal(winner, Encoding.UTF8.GetString(await _store.ReadAllAsync("race.json")));
        Assert.Equal(["race.json"], await KeysAsync(""));
    }

    [Fact]
    public async Task List_returns_keys_with_the_prefix_in_ordinal_order_including_subdirectories()
    {
        foreach (string key in new[] { "_delta_log/00000000000000000002.json", "_delta_log/00000000000000000010.json", "_delta_log/_sidecars/a.parquet", "_delta_log/00000000000000000001.json", "data/part-0.parquet" })
        {
            await _store.PutAsync(key, Bytes("x"));
        }

        Assert.Equal(
            ["_delta_log/00000000000000000001.json", "_delta_log/00000000000000000002.json", "_delta_log/00000000000000000010.json", "_delta_log/_sidecars/a.parquet"],
            await KeysAsync("_delta_log/"));
    }

    [Fact]
    public async Task List_with_a_partial_file_name_prefix_returns_only_matching_keys()
    {
        await _store.PutAsync("_delta_log/00000000000000000001.json", Bytes("x"));
        await _store.PutAsync("_delta_log/00000000000000000001.checkpoint.parquet", Bytes("x"));
        await _store.PutAsync("_delta_log/00000000000000000002.json", Bytes("x"));

        Assert.Equal(
            ["_delta_log/00000000000000000001.checkpoint.parquet", "_delta_log/00000000000000000001.json"],
            await KeysAsync("_delta_log/00000000000000000001"));
    }

    [Fact]
    public async Task List_starts_after_the_given_key()
    {
        for (int i = 0; i < 5; i++)
        {
            await _store.PutAsync($"_delta_log/{i:D20}.json", Bytes("x"));
        }

        Assert.Equal(
            ["_delta_log/00000000000000000003.json", "_delta_log/00000000000000000004.json"],
            await KeysAsync("_delta_log/", "_delta_log/00000000000000000002.json"));
    }

    [Fact]
    public async Task List_of_a_missing_directory_is_empty()
    {
        Assert.Empty(await KeysAsync("nothing/here/"));
    }

    [Fact]
    public async Task List_reports_size_and_modification_time()
    {
        await _store.PutAsync("f", Bytes("12345"));
        var when = new DateTime(2020, 5, 1, 7, 47, 31, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(_dir.Path, "f"), when);

        ObjectInfo info = await _store.ListAsync("").SingleAsync();

        Assert.Equal(5, info.SizeBytes);
        Assert.Equal(new DateTimeOffset(when), info.LastModified);
    }

    [Fact]
    public async Task List_with_a_cancelled_token_throws_instead_of_ending_early()
    {
        await _store.PutAsync("a", Bytes("x"));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ObjectInfo unused in _store.ListAsync("", null, cts.Token))
            {
            }
        });
    }

    [Fact]
    public async Task Read_range_returns_the_requested_bytes()
    {
        await _store.PutAsync("r", Bytes("0123456789"));

        Assert.Equal("345", Encoding.UTF8.GetString(await _store.ReadRangeAsync("r", 3, 3)));
    }

    [Fact]
    public async Task Read_range_past_the_end_fails_naming_the_object_and_its_size()
    {
        await _store.PutAsync("r", Bytes("0123"));

        var e = await Assert.ThrowsAsync<MedallionException>(() => _store.ReadRangeAsync("r", 2, 5));

        Assert.Equal(ErrorCode.StorageIoFailed, e.Code);
        Assert.Equal($"Cannot read bytes 2..7 of 'r' in '{_dir.Path}': the object has only 4 bytes.", e.Message);
    }

    [Fact]
    public async Task Read_of_a_missing_object_fails_with_not_found()
    {
        var e = await Assert.ThrowsAsync<MedallionException>(() => _store.ReadAllAsync("missing.json"));

        Assert.Equal(ErrorCode.StorageObjectNotFound, e.Code);
        Assert.Equal($"Object 'missing.json' does not exist in '{_dir.Path}'.", e.Message);
    }

    [Fact]
    public async Task Delete_removes_the_object_and_tolerates_a_missing_one()
    {
        await _store.PutAsync("d", Bytes("x"));

        await _store.DeleteAsync("d");
        await _store.DeleteAsync("d");

        Assert.Null(await _store.GetInfoAsync("d"));
    }

    [Fact]
    public async Task Get_info_returns_null_for_a_missing_object_and_the_size_for_an_existing_one()
    {
        await _store.PutAsync("s", Bytes("abc"));

        Assert.Null(await _store.GetInfoAsync("t"));
        Assert.Equal(3, (await _store.GetInfoAsync("s"))!.SizeBytes);
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a/../b")]
    [InlineData("a//b")]
    [InlineData("")]
    public async Task Keys_that_escape_the_root_or_have_empty_segments_are_refused(string key)
    {
        var e = await Assert.ThrowsAsync<MedallionException>(() => _store.ReadAllAsync(key));

        Assert.Equal(ErrorCode.StorageInvalidKey, e.Code);
    }
}
