namespace Medallion.Spark.Tests;

/// <summary>A test class whose every test has a Spark Connect test server of its own and a client of it.</summary>
public abstract class ServerTestsBase : IAsyncLifetime
{
    private protected SparkConnectTestServer Server { get; private set; } = null!;

    private protected SparkConnectClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await SparkConnectTestServer.StartAsync();
        Client = SparkConnectClient.Connect(SparkConnectRemote.Parse(Server.Remote()));
    }

    /// <summary>Closes the client and the server; a request the service found against the protocol fails the test.</summary>
    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        string[] violations = [.. Server.Service.Violations];
        await Server.DisposeAsync();
        Assert.Empty(violations);
    }
}
