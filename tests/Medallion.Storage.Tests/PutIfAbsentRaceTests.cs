using System.Text;

namespace Medallion.Storage.Tests;

public sealed class PutIfAbsentRaceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Racing_put_if_absent_calls_have_exactly_one_winner_whose_content_stays()
    {
        var store = new LocalObjectStore(_dir.Path);
        for (int round = 0; round < 20; round++)
        {
            string key = $"_delta_log/{round:D20}.json";
            using var start = new ManualResetEventSlim();
            Task<bool>[] writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                start.Wait();
                return await store.PutIfAbsentAsync(key, Encoding.UTF8.GetBytes("writer " + w));
            })).ToArray();
            start.Set();
            bool[] won = await Task.WhenAll(writers);

            Assert.Equal(1, won.Count(w => w));
            int winner = Array.IndexOf(won, true);
            Assert.Equal("writer " + winner, Encoding.UTF8.GetString(await store.ReadAllAsync(key)));
        }
    }
}
