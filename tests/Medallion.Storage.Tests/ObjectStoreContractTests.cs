using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Storage.Tests;

/// <summary>
/// What every <see cref="IObjectStore"/> guarantees, run once per store: a subclass supplies a fresh, empty store
/// (a temp directory, a new prefix in a moto bucket, a new Azurite container) for each test.
/// </summary>
public abstract class ObjectStoreContractTests
{
    /// <summary>The store under test, empty when the test starts.</summary>
    protected abstract IObjectStore Store { get; }

    protected static ReadOnlyMemory<byte> Bytes(string s) => Encoding.UTF8.GetBytes(s);

    protected async Task<List<string>> KeysAsync(string prefix, string? startAfter = null)
    {
        var keys = new List<string>();
        await foreach (ObjectInfo info in Store.ListAsync(prefix, startAfter))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    [Fact]
    public async Task Listing_folders_gives_each_folder_directly_under_the_prefix_once_in_order_and_no_object()
    {
        foreach (string key in new[] { "silver/orders/_delta_log/00000000000000000000.json", "silver/orders/part-1.parquet", "silver/customers/_delta_log/00000000000000000000.json", "bronze/orders/part-1.parquet", "bronze-archive/x", "readme.txt" })
        {
            await Store.PutAsync(key, Bytes("x"));
        }

        var root = new List<string>();
        await foreach (string folder in Store.ListFoldersAsync(string.Empty))
        {
            root.Add(folder);
        }

        var silver = new List<string>();
        await foreach (string folder in Store.ListFoldersAsync("silver/"))
        {
            silver.Add(folder);
        }

        Assert.Equal(["bronze-archive/", "bronze/", "silver/"], root);
        Assert.Equal(["silver/customers/", "silver/orders/"], silver);
    }

    [Fact]
    public async Task Listing_in_small_pages_gives_the_first_keys_in_key_order_with_their_sizes()
    {
        foreach (string key in new[] { "log/3.json", "log/1.json", "log/2.json", "logs/0.json", "a/0.json" })
        {
            await Store.PutAsync(key, Bytes(key));
        }

        List<ObjectInfo> first = await Store.ListAsync("log/", null, 2).Take(2).ToListAsync();

        Assert.Equal(["log/1.json", "log/2.json"], first.Select(i => i.Key));
        Assert.All(first, i => Assert.Equal(i.Key.Length, i.SizeBytes));
    }

    [Fact]
    public async Task Listing_in_small_pages_to_the_end_gives_every_key_once_in_order()
    {
        foreach (string key in new[] { "log/1.json", "log/2.json", "log/3.json", "log/4.json", "log/5.json", "other/1.json" })
        {
            await Store.PutAsync(key, Bytes("x"));
        }

        Assert.Equal(["log/1.json", "log/2.json", "log/3.json", "log/4.json", "log/5.json"], await Store.ListAsync("log/", null, 2).Select(i => i.Key).ToListAsync());
        Assert.Equal(["log/3.json", "log/4.json", "log/5.json"], await Store.ListAsync("log/", "log/2.json", 2).Select(i => i.Key).ToListAsync());
    }

    [Fact]
    public async Task Listing_in_pages_larger_than_a_prefix_holds_gives_all_of_its_keys()
    {
        foreach (string key in new[] { "log/1.json", "log/2.json", "other/1.json" })
        {
            await Store.PutAsync(key, Bytes("x"));
        }

        Assert.Equal(["log/1.json", "log/2.json"], await Store.ListAsync("log/", null, 10).Select(i => i.Key).ToListAsync());
        Assert.Empty(await Store.ListAsync("none/", null, 10).ToListAsync());
    }

    [Fact]
    public async Task Put_then_read_returns_the_same_bytes()
    {
        await Store.PutAsync("a/b.txt", Bytes("hello"));

        Assert.Equal("hello", Encoding.UTF8.GetString(await Store.ReadAllAsync("a/b.txt")));
    }

    [Fact]
    public async Task Put_overwrites_an_existing_object()
    {
        await Store.PutAsync("x", Bytes("one"));
        await Store.PutAsync("x", Bytes("two"));

        Assert.Equal("two", Encoding.UTF8.GetString(await Store.ReadAllAsync("x")));
    }

    [Fact]
    public async Task Put_if_absent_creates_the_object_when_it_does_not_exist()
    {
        Assert.True(await Store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        Assert.Equal("{}", Encoding.UTF8.GetString(await Store.ReadAllAsync("_delta_log/00000000000000000000.json")));
    }

    [Fact]
    public async Task Put_if_absent_returns_false_and_keeps_the_first_content_when_the_object_exists()
    {
        await Store.PutIfAbsentAsync("k", Bytes("first"));

        Assert.False(await Store.PutIfAbsentAsync("k", Bytes("second")));
        Assert.Equal("first", Encoding.UTF8.GetString(await Store.ReadAllAsync("k")));
    }

    [Fact]
    public async Task Put_if_absent_lets_exactly_one_of_many_concurrent_writers_win()
    {
        Task<bool>[] writers = Enumerable.Range(0, 16)
            .Select(i => Task.Run(() => Store.PutIfAbsentAsync("race.json", Bytes("writer " + i))))
            .ToArray();

        bool[] results = await Task.WhenAll(writers);

        Assert.Single(results, r => r);
        string winner = "writer " + Array.IndexOf(results, true);
        Assert.Equal(winner, Encoding.UTF8.GetString(await Store.ReadAllAsync("race.json")));
        Assert.Equal(["race.json"], await KeysAsync(""));
    }

    [Fact]
    public async Task List_returns_keys_with_the_prefix_in_ordinal_order_including_subdirectories()
    {
        foreach (string key in new[] { "_delta_log/00000000000000000002.json", "_delta_log/00000000000000000010.json", "_delta_log/_sidecars/a.parquet", "_delta_log/00000000000000000001.json", "data/part-0.parquet" })
        {
            await Store.PutAsync(key, Bytes("x"));
        }

        Assert.Equal(
            ["_delta_log/00000000000000000001.json", "_delta_log/00000000000000000002.json", "_delta_log/00000000000000000010.json", "_delta_log/_sidecars/a.parquet"],
            await KeysAsync("_delta_log/"));
    }

    [Fact]
    public async Task List_with_a_partial_file_name_prefix_returns_only_matching_keys()
    {
        await Store.PutAsync("_delta_log/00000000000000000001.json", Bytes("x"));
        await Store.PutAsync("_delta_log/00000000000000000001.checkpoint.parquet", Bytes("x"));
        await Store.PutAsync("_delta_log/00000000000000000002.json", Bytes("x"));

        Assert.Equal(
            ["_delta_log/00000000000000000001.checkpoint.parquet", "_delta_log/00000000000000000001.json"],
            await KeysAsync("_delta_log/00000000000000000001"));
    }

    [Fact]
    public async Task List_starts_after_the_given_key()
    {
        for (int i = 0; i < 5; i++)
        {
            await Store.PutAsync($"_delta_log/{i:D20}.json", Bytes("x"));
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
    public async Task List_reports_the_size_and_a_modification_time_of_the_write()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow.AddMinutes(-2);
        await Store.PutAsync("f", Bytes("12345"));

        ObjectInfo info = await Store.ListAsync("").SingleAsync();

        Assert.Equal(5, info.SizeBytes);
        Assert.InRange(info.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(2));
    }

    [Fact]
    public async Task Racing_put_if_absent_calls_have_exactly_one_winner_whose_content_stays()
    {
        for (int round = 0; round < 10; round++)
        {
            string key = $"_delta_log/{round:D20}.json";
            using var start = new ManualResetEventSlim();
            Task<bool>[] writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                start.Wait();
                return await Store.PutIfAbsentAsync(key, Encoding.UTF8.GetBytes("writer " + w));
            })).ToArray();
            start.Set();
            bool[] won = await Task.WhenAll(writers);

            Assert.Equal(1, won.Count(w => w));
            int winner = Array.IndexOf(won, true);
            Assert.Equal("writer " + winner, Encoding.UTF8.GetString(await Store.ReadAllAsync(key)));
        }
    }

    [Fact]
    public async Task List_with_a_cancelled_token_throws_instead_of_ending_early()
    {
        await Store.PutAsync("a", Bytes("x"));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ObjectInfo unused in Store.ListAsync("", null, cts.Token))
            {
            }
        });
    }

    [Fact]
    public async Task Read_range_returns_the_requested_bytes()
    {
        await Store.PutAsync("r", Bytes("0123456789"));

        Assert.Equal("345", Encoding.UTF8.GetString(await Store.ReadRangeAsync("r", 3, 3)));
    }

    [Fact]
    public async Task Read_range_past_the_end_fails_naming_the_object_and_its_size()
    {
        await Store.PutAsync("r", Bytes("0123"));

        var e = await Assert.ThrowsAsync<MedallionException>(() => Store.ReadRangeAsync("r", 2, 5));

        Assert.Equal(ErrorCode.StorageIoFailed, e.Code);
        Assert.Equal($"Cannot read bytes 2..7 of 'r' in '{Store.Location}': the object has only 4 bytes.", e.Message);
    }

    [Fact]
    public async Task Read_of_a_missing_object_fails_with_not_found()
    {
        var e = await Assert.ThrowsAsync<MedallionException>(() => Store.ReadAllAsync("missing.json"));

        Assert.Equal(ErrorCode.StorageObjectNotFound, e.Code);
        Assert.Equal($"Object 'missing.json' does not exist in '{Store.Location}'.", e.Message);
    }

    [Fact]
    public async Task Delete_removes_the_object_and_tolerates_a_missing_one()
    {
        await Store.PutAsync("d", Bytes("x"));

        await Store.DeleteAsync("d");
        await Store.DeleteAsync("d");

        Assert.Null(await Store.GetInfoAsync("d"));
    }

    [Fact]
    public async Task Get_info_returns_null_for_a_missing_object_and_the_size_for_an_existing_one()
    {
        await Store.PutAsync("s", Bytes("abc"));

        Assert.Null(await Store.GetInfoAsync("t"));
        Assert.Equal(3, (await Store.GetInfoAsync("s"))!.SizeBytes);
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a/../b")]
    [InlineData("a//b")]
    [InlineData("")]
    public async Task Keys_that_escape_the_root_or_have_empty_segments_are_refused(string key)
    {
        var e = await Assert.ThrowsAsync<MedallionException>(() => Store.ReadAllAsync(key));

        Assert.Equal(ErrorCode.StorageInvalidKey, e.Code);
    }
}
