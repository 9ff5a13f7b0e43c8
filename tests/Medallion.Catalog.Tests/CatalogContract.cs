namespace Medallion.Catalog.Tests;

/// <summary>
/// What every catalog contract starts from: the engine under test and a catalog opened on a fresh location of it. A
/// contract's tests run once per engine, through one small sealed subclass each, so whatever the SQLite catalog holds
/// is shown to work the same on PostgreSQL.
/// </summary>
public abstract class CatalogContract(CatalogEngine engine) : IAsyncLifetime
{
    /// <summary>The engine under test.</summary>
    protected CatalogEngine Engine { get; } = engine;

    /// <summary>Where <see cref="Store"/> is open, as it was given to <see cref="CatalogStore.OpenAsync(string, TimeProvider?, CancellationToken)"/>.</summary>
    protected string Location { get; private set; } = null!;

    /// <summary>The catalog at <see cref="Location"/>, new and empty when the test starts.</summary>
    protected CatalogStore Store { get; set; } = null!;

    /// <summary>The clock <see cref="Store"/> stamps its records with; the system clock when null.</summary>
    protected virtual TimeProvider? Time => null;

    public async Task InitializeAsync()
    {
        Location = await Engine.NewLocationAsync();
        Store = await CatalogStore.OpenAsync(Location, Time);
        await SeedAsync();
    }

    /// <summary>What every test of a contract starts with, beyond an empty catalog.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Engine.DisposeAsync();
    }

    /// <summary>Opens <see cref="Store"/>'s catalog again, as another process would.</summary>
    protected Task<CatalogStore> ReopenAsync(TimeProvider? time = null) => CatalogStore.OpenAsync(Location, time ?? Time);

    /// <summary>A count read from the catalog with SQL, beside the stores.</summary>
    protected Task<long> CountAsync(string sql) => Engine.CountAsync(Location, sql);
}
