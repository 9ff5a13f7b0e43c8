using System.Text.RegularExpressions;
using Medallion.Engine.Tests.Writing;
using Medallion.Engine.WriterHost;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>Failures of the store itself during a write: a clear error naming the store and the operation, and nothing committed.</summary>
public sealed class StoreFailureTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task The_s3_server_stopping_during_a_data_file_upload_fails_the_write_naming_the_upload_and_commits_nothing()
    {
        string uri = await TestObjectStores.NewTableAsync("s3");
        await _f.Writer.CreateTableAsync(uri, CrashWorkload.Table);
        using var proxy = new StoppingProxy(new Uri(TestObjectStores.S3Endpoint), ".parquet HTTP/1.1");

        using WriterProcess writer = WriterProcess.StartWith(
            new Dictionary<string, string> { ["AWS_ENDPOINT_URL_S3"] = proxy.Endpoint.ToString() }, "append", uri, 1);
        await writer.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.True(proxy.Stopped.Task.IsCompleted);
        Assert.NotEqual(0, writer.ExitCode);
        Assert.Matches(new Regex($@"Could not upload 'part-[^']+\.parquet' in '{Regex.Escape(uri)}': the request to {Regex.Escape(proxy.Endpoint.ToString().TrimEnd('/'))} failed: "), writer.Errors);
        Assert.Equal(0, (await _f.SnapshotAsync(uri)).Version);
        Assert.Empty(await _f.ReadAsync(uri));
    }
}
