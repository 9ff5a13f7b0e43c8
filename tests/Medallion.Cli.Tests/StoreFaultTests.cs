using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Medallion.Cli.Tests;

/// <summary>
/// Faults of the object store under <c>medallion delta</c>, injected by a proxy in front of moto, Azurite and the GCS
/// test server: error
/// answers (500, 503), reset connections, stalls past the request timeout and truncated bodies, on a data file's
/// upload, on the commit and on reads. Transient faults are retried and a write commits its rows exactly once, also
/// when the store applied a commit whose answer was lost; persistent faults and stalls fail within a bounded time with
/// a coded error naming the store and the object, and the table keeps its version; a reader never sees part of a table.
/// </summary>
public sealed class StoreFaultTests : IDisposable
{
    /// <summary>The target of the commit of version 1.</summary>
    private const string Commit1 = @"/_delta_log/0{19}1\.json$";

    /// <summary>The target of any commit file.</summary>
    internal const string AnyCommit = @"/_delta_log/\d{20}\.json$";

    /// <summary>The target of a data file.</summary>
    internal const string DataFile = @"/part-[^/?]+\.parquet$";

    /// <summary>
    /// Rows whose Parquet file is about 11 MiB (random doubles do not compress): with <see cref="PartSize"/> parts, an upload
    /// of three parts on S3 and three blocks on Azure.
    /// </summary>
    private const string LargeRows = "SELECT i AS id, random() AS a, random() AS b FROM range(700000) t(i)";

    /// <summary>The multipart threshold and part size of the runs that write <see cref="LargeRows"/>: S3's least part.</summary>
    private const string PartSize = "5MB";

    /// <summary>The method of a one-request upload: a PUT of the key on S3 and Azure, a POST to the upload path of GCS's JSON API.</summary>
    private static string Upload(string kind) => kind == "gs" ? "POST" : "PUT";

    /// <summary>The target of the commit of version 1 on each store (on GCS the object's name is a query parameter, its <c>/</c> escaped, and the commit is create-only).</summary>
    private static string Commit1Of(string kind) => kind == "gs" ? @"%2F_delta_log%2F0{19}1\.json&ifGenerationMatch=0$" : Commit1;

    /// <summary>The target of a data file's upload on each store.</summary>
    private static string DataFileOf(string kind) => kind == "gs" ? @"%2Fpart-[^/?&%]+\.parquet$" : DataFile;

    /// <summary>The target of one part of an upload in parts, by the request that carries it on each store.</summary>
    private static string Part(string kind) => kind == "s3" ? @"\.parquet\?partNumber=2&uploadId=" : @"\.parquet\?comp=block&blockid=";

    /// <summary>The method of a part's upload or of the completion (S3 completes with a POST; an abort is a DELETE of the same target).</summary>
    private static string Method(string kind, string request) => request == "completion" && kind == "s3" ? "POST" : "PUT";

    /// <summary>The target of the request that makes an upload in parts one object: S3's CompleteMultipartUpload, Azure's Put Block List.</summary>
    private static string Completion(string kind) => kind == "s3" ? @"\.parquet\?uploadId=" : @"\.parquet\?comp=blocklist";

    /// <summary>The request timeout of the runs that meet a stall: short, so a stalled request is given up in seconds (runs without stalls keep the default, as a busy machine may answer slowly).</summary>
    private const string ShortTimeout = "4s";

    private readonly StoreCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private static StoreFault Fault(string name) => name switch
    {
        "503" => StoreFault.Status(503),
        "500" => StoreFault.Status(500),
        "reset" => StoreFault.Reset(),
        "answer lost" => StoreFault.Reset(afterServer: true),
        "503 after the write" => StoreFault.Status(503, afterServer: true),
        "stall after the write" => StoreFault.Stall(afterServer: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [InlineData("s3", "503")]
    [InlineData("az", "503")]
    [InlineData("s3", "500")]
    [InlineData("az", "500")]
    [InlineData("s3", "reset")]
    [InlineData("az", "reset")]
    [InlineData("s3", "answer lost")]
    [InlineData("az", "answer lost")]
    [InlineData("s3", "503 after the write")]
    [InlineData("az", "503 after the write")]
    [InlineData("s3", "stall after the write")]
    [InlineData("az", "stall after the write")]
    [InlineData("gs", "503")]
    [InlineData("gs", "500")]
    [InlineData("gs", "reset")]
    [InlineData("gs", "answer lost")]
    [InlineData("gs", "503 after the write")]
    [InlineData("gs", "stall after the write")]
    public async Task A_commit_failing_transiently_is_retried_and_the_write_commits_its_rows_once(string kind, string fault)
    {
        string uri = await TableAsync(kind, "SELECT 0 AS id");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        // A fault after the write happens once: the retry finds the commit the store already holds.
        StoreFaultRule rule = proxy.Inject(Fault(fault), Upload(kind), Commit1Of(kind), times: Fault(fault).AfterServer ? 1 : 2);

        await WriteOkAsync(kind, proxy, uri, "SELECT 1 AS id", fault.StartsWith("stall", StringComparison.Ordinal) ? ShortTimeout : null);

        Assert.Equal(Fault(fault).AfterServer ? 1 : 2, rule.Injected);
        await AssertTableAsync(kind, uri, 1, [0, 1]);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    [InlineData("gs")]
    public async Task A_commit_the_store_applied_while_every_answer_to_it_was_lost_is_recognised_as_made_and_not_made_again(string kind)
    {
        string uri = await TableAsync(kind, "SELECT 0 AS id");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule lost = proxy.Inject(StoreFault.Reset(afterServer: true), Upload(kind), Commit1Of(kind), times: 1);
        StoreFaultRule busy = proxy.Inject(StoreFault.Status(503), Upload(kind), Commit1Of(kind));

        await WriteOkAsync(kind, proxy, uri, "SELECT 1 AS id");

        // Every retry of the put was refused: the write learned that its commit was made by reading it back.
        Assert.Equal(1, lost.Injected);
        Assert.True(busy.Injected >= 1);
        await AssertTableAsync(kind, uri, 1, [0, 1]);
    }

    [Fact]
    public async Task A_single_writer_commit_the_store_applied_while_every_answer_to_it_was_lost_is_recognised_as_made_and_not_made_again()
    {
        string uri = await TableAsync("s3", "SELECT 0 AS id");
        using var proxy = new StoreProxy(StoreCli.Server("s3"));
        StoreFaultRule lost = proxy.Inject(StoreFault.Reset(afterServer: true), "PUT", Commit1, times: 1);
        StoreFaultRule busy = proxy.Inject(StoreFault.Status(503), "PUT", Commit1);
        Dictionary<string, string> variables = Through("s3", proxy);
        // A store without conditional writes, committed to by a check and a plain put.
        variables["MEDALLION_S3_CONDITIONAL_PUT"] = "false";
        variables["MEDALLION_SINGLE_WRITER"] = "true";

        (int exit, _, string error) = await _cli.RunAsync(variables, "delta", "write", uri, "--from", "SELECT 1 AS id");

        Assert.True(exit == 0, error);
        Assert.Equal(1, lost.Injected);
        Assert.True(busy.Injected >= 1);
        await AssertTableAsync("s3", uri, 1, [0, 1]);
    }

    [Theory]
    [InlineData("s3", "503")]
    [InlineData("az", "503")]
    [InlineData("s3", "reset")]
    [InlineData("az", "reset")]
    [InlineData("s3", "answer lost")]
    [InlineData("az", "answer lost")]
    [InlineData("gs", "503")]
    [InlineData("gs", "reset")]
    [InlineData("gs", "answer lost")]
    public async Task A_data_file_upload_failing_transiently_is_retried_and_the_write_commits_its_rows_once(string kind, string fault)
    {
        string uri = await TableAsync(kind, "SELECT 0 AS id");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule rule = proxy.Inject(Fault(fault), Upload(kind), DataFileOf(kind), times: 2);

        await WriteOkAsync(kind, proxy, uri, "SELECT 1 AS id");

        Assert.Equal(2, rule.Injected);
        await AssertTableAsync(kind, uri, 1, [0, 1]);
    }

    [Theory]
    [InlineData("s3", "data file")]
    [InlineData("az", "data file")]
    [InlineData("s3", "commit")]
    [InlineData("az", "commit")]
    [InlineData("gs", "data file")]
    [InlineData("gs", "commit")]
    public async Task An_upload_the_store_keeps_refusing_fails_the_write_naming_the_object_and_once_lifted_the_next_write_succeeds(string kind, string upload)
    {
        string uri = await TableAsync(kind, "SELECT 0 AS id");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule rule = proxy.Inject(StoreFault.Status(503), Upload(kind), upload == "commit" ? Commit1Of(kind) : DataFileOf(kind));

        (int exit, _, string error) = await _cli.RunAsync(Through(kind, proxy), "delta", "write", uri, "--from", "SELECT 1 AS id");

        Assert.Equal(1, exit);
        string key = upload == "commit" ? "_delta_log/00000000000000000001.json" : "part-[^']+\\.parquet";
        string refusal = kind switch { "s3" => "SlowDown: Please reduce your request rate.", "gs" => "backendError, HTTP 503: Backend Error.", _ => "ServerBusy, HTTP 503." };
        Assert.True(Regex.IsMatch(error, $"^Error MDL5003: Could not {(upload == "commit" ? "write" : "upload")} '{key}' in '{Regex.Escape(uri)}': {Regex.Escape(refusal)}\n"), error);
        await AssertTableAsync(kind, uri, 0, [0]);

        rule.Lift();
        await WriteOkAsync(kind, proxy, uri, "SELECT 1 AS id");
        await AssertTableAsync(kind, uri, 1, [0, 1]);
    }

    [Theory]
    [InlineData("s3", "part", "503")]
    [InlineData("az", "part", "503")]
    [InlineData("s3", "part", "reset")]
    [InlineData("az", "part", "reset")]
    [InlineData("s3", "part", "answer lost")]
    [InlineData("az", "part", "answer lost")]
    [InlineData("s3", "completion", "503")]
    [InlineData("az", "completion", "503")]
    [InlineData("s3", "completion", "answer lost")]
    [InlineData("az", "completion", "answer lost")]
    public async Task A_part_of_an_upload_in_parts_failing_transiently_is_retried_and_the_write_commits_its_rows_once(string kind, string request, string fault)
    {
        string uri = await TableAsync(kind, "SELECT -1 AS id, 0.0::DOUBLE AS a, 0.0::DOUBLE AS b");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule rule = proxy.Inject(Fault(fault), Method(kind, request), request == "part" ? Part(kind) : Completion(kind), times: Fault(fault).AfterServer ? 1 : 2);

        (int exit, _, string error) = await _cli.RunAsync(InParts(kind, proxy), "delta", "write", uri, "--from", LargeRows);

        Assert.True(exit == 0, error);
        Assert.Equal(Fault(fault).AfterServer ? 1 : 2, rule.Injected);
        await AssertLargeTableAsync(kind, uri, 1, 700_001);
        Assert.Empty(kind == "s3" ? await StoreCli.OpenUploadsAsync(uri) : []);
        Assert.Contains(proxy.Requests, r => Regex.IsMatch(r, Completion(kind)));
    }

    [Theory]
    [InlineData("s3", "part")]
    [InlineData("az", "part")]
    [InlineData("s3", "completion")]
    [InlineData("az", "completion")]
    public async Task An_upload_in_parts_the_store_keeps_refusing_fails_naming_the_file_leaves_no_object_nor_open_upload_and_once_lifted_the_next_write_succeeds(string kind, string request)
    {
        string uri = await TableAsync(kind, "SELECT -1 AS id, 0.0::DOUBLE AS a, 0.0::DOUBLE AS b");
        List<string> before = await StoreCli.ListAsync(kind, uri);
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule rule = proxy.Inject(StoreFault.Status(503), Method(kind, request), request == "part" ? Part(kind) : Completion(kind));

        (int exit, _, string error) = await _cli.RunAsync(InParts(kind, proxy), "delta", "write", uri, "--from", LargeRows);

        Assert.Equal(1, exit);
        string refusal = kind switch { "s3" => "SlowDown: Please reduce your request rate.", "gs" => "backendError, HTTP 503: Backend Error.", _ => "ServerBusy, HTTP 503." };
        Assert.True(Regex.IsMatch(error, $"^Error MDL5003: Could not upload 'part-[^']+\\.parquet' in '{Regex.Escape(uri)}': {Regex.Escape(refusal)}\n"), error);
        Assert.Equal(before, await StoreCli.ListAsync(kind, uri));
        // S3 keeps (and bills) the parts of an upload neither completed nor aborted; Azure drops uncommitted blocks itself.
        Assert.Empty(kind == "s3" ? await StoreCli.OpenUploadsAsync(uri) : []);
        await AssertLargeTableAsync(kind, uri, 0, 1);

        rule.Lift();
        (int nextExit, _, string nextError) = await _cli.RunAsync(InParts(kind, proxy), "delta", "write", uri, "--from", LargeRows);
        Assert.True(nextExit == 0, nextError);
        await AssertLargeTableAsync(kind, uri, 1, 700_001);
    }

    [Theory]
    [InlineData("s3", "data file")]
    [InlineData("az", "data file")]
    [InlineData("s3", "commit")]
    [InlineData("az", "commit")]
    public async Task A_store_that_stops_answering_fails_the_write_after_the_request_timeout_and_commits_nothing(string kind, string upload)
    {
        string uri = await TableAsync(kind, "SELECT 0 AS id");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        proxy.Inject(StoreFault.Stall(), "PUT", upload == "commit" ? Commit1 : DataFile);
        var elapsed = Stopwatch.StartNew();

        (int exit, _, string error) = await _cli.RunAsync(Through(kind, proxy, timeout: ShortTimeout), "delta", "write", uri, "--from", "SELECT 1 AS id");

        elapsed.Stop();
        Assert.Equal(1, exit);
        string key = upload == "commit" ? "_delta_log/00000000000000000001.json" : "part-[^']+\\.parquet";
        Assert.True(Regex.IsMatch(error, $"^Error MDL5003: Could not {(upload == "commit" ? "write" : "upload")} '{key}' in '{Regex.Escape(uri)}': the request to {Regex.Escape(proxy.Endpoint.GetLeftPart(UriPartial.Authority))} timed out \\(no answer within 4s at each attempt\\)\\.\nHelp: "), error);
        // The SDKs' default would hold each of the four attempts 100 s; the store's timeout bounds them.
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(90), $"The write took {elapsed.Elapsed}.");
        await AssertTableAsync(kind, uri, 0, [0]);
    }

    [Theory]
    [InlineData("s3", "data file")]
    [InlineData("az", "data file")]
    [InlineData("s3", "commit")]
    [InlineData("az", "commit")]
    [InlineData("s3", "listing")]
    [InlineData("az", "listing")]
    public async Task A_read_whose_requests_fail_transiently_is_retried_and_returns_every_row(string kind, string read)
    {
        string uri = await TableAsync(kind, "SELECT i AS id FROM range(10) t(i)");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule rule = read switch
        {
            "data file" => proxy.Inject(StoreFault.Status(503), "GET", DataFile, times: 2),
            "commit" => proxy.Inject(StoreFault.Reset(), "GET", AnyCommit, times: 2),
            _ => proxy.Inject(StoreFault.Status(500), "GET", kind == "s3" ? "list-type=2" : "comp=list", times: 2),
        };

        // A cache of its own: the data files are not on this machine yet, as for another reader of the table.
        (int exit, string output, string error) = await _cli.RunAsync(Through(kind, proxy, cache: "reader-cache"), "delta", "read", uri, "--format", "json");

        Assert.True(exit == 0, error);
        Assert.Equal(2, rule.Injected);
        Assert.Equal([0L, 1, 2, 3, 4, 5, 6, 7, 8, 9], Ids(output));
    }

    [Theory]
    [InlineData("s3", "data file")]
    [InlineData("az", "data file")]
    [InlineData("s3", "commit")]
    [InlineData("az", "commit")]
    public async Task A_read_whose_answer_arrives_truncated_is_asked_again_and_returns_every_row(string kind, string read)
    {
        string uri = await TableAsync(kind, "SELECT i AS id FROM range(10) t(i)");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule rule = proxy.Inject(StoreFault.TruncatedBody, "GET", read == "commit" ? AnyCommit : DataFile, times: 2);

        (int exit, string output, string error) = await _cli.RunAsync(Through(kind, proxy, cache: "reader-cache"), "delta", "read", uri, "--format", "json");

        Assert.True(exit == 0, error);
        Assert.Equal(2, rule.Injected);
        Assert.Equal([0L, 1, 2, 3, 4, 5, 6, 7, 8, 9], Ids(output));
    }

    [Theory]
    [InlineData("s3", "data file")]
    [InlineData("az", "data file")]
    [InlineData("s3", "commit")]
    [InlineData("az", "commit")]
    public async Task A_read_whose_answers_keep_arriving_truncated_fails_naming_the_object_and_shows_no_rows_and_the_next_read_shows_all(string kind, string read)
    {
        string uri = await TableAsync(kind, "SELECT i AS id FROM range(10) t(i)");
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule rule = proxy.Inject(StoreFault.TruncatedBody, "GET", read == "commit" ? AnyCommit : DataFile);

        (int exit, string output, string error) = await _cli.RunAsync(Through(kind, proxy, cache: "reader-cache"), "delta", "read", uri, "--format", "json");
        rule.Lift();
        (int nextExit, string next, string nextError) = await _cli.RunAsync(Through(kind, proxy, cache: "reader-cache"), "delta", "read", uri, "--format", "json");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        string key = read == "commit" ? "_delta_log/00000000000000000000.json" : "part-[^']+\\.parquet";
        Assert.True(Regex.IsMatch(error, $"^Error MDL5003: Could not {(read == "commit" ? "read" : "download")} '{key}' in '{Regex.Escape(uri)}': "), error);
        // Nothing half-downloaded stayed in the reader's cache.
        Assert.True(nextExit == 0, nextError);
        Assert.Equal([0L, 1, 2, 3, 4, 5, 6, 7, 8, 9], Ids(next));
    }

    /// <summary>A new table on the store, written directly (not through a proxy) with <paramref name="rows"/> as version 0.</summary>
    private async Task<string> TableAsync(string kind, string rows)
    {
        string uri = await StoreCli.NewTableAsync(kind);
        await _cli.RunOkAsync(kind, "delta", "write", uri, "--from", rows);
        return uri;
    }

    private async Task WriteOkAsync(string kind, StoreProxy proxy, string uri, string rows, string? timeout = null)
    {
        (int exit, _, string error) = await _cli.RunAsync(Through(kind, proxy, timeout: timeout), "delta", "write", uri, "--from", rows);
        Assert.True(exit == 0, $"The write through the proxy exited {exit}: {error}");
    }

    /// <summary>The variables of a run that reaches the store through <paramref name="proxy"/>, with its object cache in <paramref name="cache"/> (a folder of the test) and its request <paramref name="timeout"/> when given.</summary>
    private Dictionary<string, string> Through(string kind, StoreProxy proxy, string? cache = null, string? timeout = null)
    {
        Dictionary<string, string> variables = StoreCli.Variables(kind, proxy.Endpoint);
        if (timeout is not null)
        {
            variables["MEDALLION_STORE_TIMEOUT"] = timeout;
        }

        if (cache is not null)
        {
            variables["MEDALLION_CACHE_DIR"] = Path.Combine(_cli.Directory, cache);
        }

        return variables;
    }

    /// <summary>The variables of a run through <paramref name="proxy"/> that uploads a file above <see cref="PartSize"/> in parts of it.</summary>
    private Dictionary<string, string> InParts(string kind, StoreProxy proxy)
    {
        Dictionary<string, string> variables = Through(kind, proxy);
        variables["MEDALLION_STORE_MULTIPART_THRESHOLD"] = PartSize;
        variables["MEDALLION_STORE_PART_SIZE"] = PartSize;
        return variables;
    }

    /// <summary>Checks, reading the store directly, that the table is at <paramref name="version"/> with one commit per version and holds <paramref name="records"/> rows with distinct ids.</summary>
    private async Task AssertLargeTableAsync(string kind, string uri, long version, long records)
    {
        JsonElement history = JsonDocument.Parse(await _cli.RunOkAsync(kind, "delta", "history", uri, "--format", "json")).RootElement;
        JsonElement table = JsonDocument.Parse(await _cli.RunOkAsync(kind, "delta", "inspect", uri, "--format", "json")).RootElement;
        string repeated = await _cli.RunOkAsync(kind, "delta", "read", uri, "--where", "id IN (-1, 0, 699999)", "--format", "json");

        Assert.Equal(Enumerable.Range(0, (int)version + 1).Select(v => (long)v), history.EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).Order());
        Assert.Equal(records, table.GetProperty("numRecords").GetInt64());
        long[] ids = records == 1 ? [-1] : [-1, 0, 699_999];
        Assert.Equal(ids, Ids(repeated));
    }

    /// <summary>Checks, reading the store directly, that the table is at <paramref name="version"/> with one commit per version and holds exactly <paramref name="ids"/>.</summary>
    private async Task AssertTableAsync(string kind, string uri, long version, long[] ids)
    {
        JsonElement history = JsonDocument.Parse(await _cli.RunOkAsync(kind, "delta", "history", uri, "--format", "json")).RootElement;
        string rows = await _cli.RunOkAsync(kind, "delta", "read", uri, "--format", "json");

        Assert.Equal(Enumerable.Range(0, (int)version + 1).Select(v => (long)v), history.EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).Order());
        Assert.Equal(ids, Ids(rows));
    }

    private static List<long> Ids(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).Order()];
}
