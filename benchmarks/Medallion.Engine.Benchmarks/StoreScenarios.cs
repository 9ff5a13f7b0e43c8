using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Transfer;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Storage;

namespace Medallion.Engine.Benchmarks;

/// <summary>
/// Object storage (issue 20), against a store root such as <c>s3://bucket</c> reached with the standard variables:
/// uploading a table's data files with our writer against the AWS SDK's own multipart upload of the same files; and
/// loading the snapshot of a table with many commits from the store (cold and warm cache) beside the same table on disk.
/// </summary>
internal static class StoreScenarios
{
    public static async Task<int> RunAsync(string storeRoot, long megabytes, int commits)
    {
        string root = Directory.CreateTempSubdirectory("medallion-store-bench-").FullName;
        Environment.SetEnvironmentVariable("MEDALLION_CACHE_DIR", Path.Combine(root, "cache"));
        try
        {
            Console.WriteLine($"Object store: {storeRoot}; {Environment.ProcessorCount} cores, load average {LoadAverage()}");
            await UploadAsync(storeRoot, root, megabytes);
            await SnapshotAsync(storeRoot, root, commits);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The same files (64 MiB each, random bytes) published by the store against the SDK's TransferUtility, alternated.</summary>
    private static async Task UploadAsync(string storeRoot, string root, long megabytes)
    {
        const int FileMegabytes = 64;
        int files = (int)Math.Max(1, megabytes / FileMegabytes);
        var ours = new List<double>();
        var sdk = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            string location = $"{storeRoot.TrimEnd('/')}/upload-{Guid.NewGuid():N}";
            IObjectStore store = StorageResolver.Default.OpenStore(location);
            LocalMirror mirror = LocalMirror.Of(store);
            var keys = new List<string>();
            var random = new Random(round);
            byte[] content = new byte[FileMegabytes << 20];
            for (int i = 0; i < files; i++)
            {
                random.NextBytes(content);
                string key = $"part-{i:D5}.parquet";
                string path = mirror.PathOf(key);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, content);
                keys.Add(key);
            }

            long began = Stopwatch.GetTimestamp();
            await mirror.PublishAsync(keys);
            ours.Add(Stopwatch.GetElapsedTime(began).TotalSeconds);

            (string bucket, string prefix) = BucketAndPrefix(location);
            using var client = new AmazonS3Client(new AmazonS3Config
            {
                ServiceURL = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"),
                ForcePathStyle = true,
                AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1",
            });
            using var transfer = new TransferUtility(client, new TransferUtilityConfig { ConcurrentServiceRequests = 8 });
            began = Stopwatch.GetTimestamp();
            await Task.WhenAll(keys.Select(key => transfer.UploadAsync(mirror.PathOf(key), bucket, $"{prefix}/sdk/{key}")));
            sdk.Add(Stopwatch.GetElapsedTime(began).TotalSeconds);
            Directory.Delete(mirror.Root, recursive: true);
            // A test server keeps objects in memory: the round's gigabytes go before the next round's.
            foreach (string key in keys)
            {
                await store.DeleteAsync(key);
                await client.DeleteObjectAsync(bucket, $"{prefix}/sdk/{key}");
            }
        }

        double ourMedian = ours.Order().ElementAt(1), sdkMedian = sdk.Order().ElementAt(1);
        double total = files * (double)FileMegabytes;
        double ratio = sdkMedian / ourMedian;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"upload of {files} x {FileMegabytes} MiB (median of 3): ours {ourMedian:0.00} s = {total / ourMedian:0} MiB/s, SDK TransferUtility {sdkMedian:0.00} s = {total / sdkMedian:0} MiB/s; throughput ratio {ratio:0.00}x (target >= 0.9x: {(ratio >= 0.9 ? "met" : "MISSED")})"));
    }

    /// <summary>A table of <paramref name="commits"/> small appends (checkpointed as the writer does), loaded from disk and from the store.</summary>
    private static async Task SnapshotAsync(string storeRoot, string root, int commits)
    {
        string local = Path.Combine(root, "commits");
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        var writer = new DeltaWriter(connection);
        for (int i = 0; i < commits; i++)
        {
            await writer.WriteAsync(local, $"SELECT {i} AS id");
        }

        string remote = $"{storeRoot.TrimEnd('/')}/commits-{Guid.NewGuid():N}";
        IObjectStore store = StorageResolver.Default.OpenStore(remote);
        string[] files = Directory.EnumerateFiles(local, "*", SearchOption.AllDirectories).ToArray();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (file, ct) =>
            await store.PutAsync(Path.GetRelativePath(local, file).Replace(Path.DirectorySeparatorChar, '/'), await File.ReadAllBytesAsync(file, ct), ct));

        double onDisk = await LoadAsync(local, connection);
        string cached = LocalMirror.Of(store).Root;
        if (Directory.Exists(cached))
        {
            Directory.Delete(cached, recursive: true);
        }

        double cold = await LoadAsync(remote, connection);
        double warm = await LoadAsync(remote, connection);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"snapshot of a {commits:N0}-commit table ({files.Length:N0} files): local disk {onDisk * 1000:0} ms, store cold cache {cold * 1000:0} ms, warm {warm * 1000:0} ms"));
    }

    private static async Task<double> LoadAsync(string location, DuckDbConnection connection)
    {
        DeltaTable table = StorageResolver.Default.OpenTable(location, connection);
        long began = Stopwatch.GetTimestamp();
        await table.GetSnapshotAsync();
        return Stopwatch.GetElapsedTime(began).TotalSeconds;
    }

    private static (string Bucket, string Prefix) BucketAndPrefix(string uri)
    {
        string[] parts = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/', 2);
        return (parts[0], parts.Length > 1 ? parts[1] : string.Empty);
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
