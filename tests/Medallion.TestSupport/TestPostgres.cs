namespace Medallion.TestSupport;

/// <summary>
/// The PostgreSQL server the tests use: the cluster build/test-setup/postgres.sh starts (port 55432, superuser
/// medallion/medallion), or the one MEDALLION_TEST_PG names, as a connection string to its <c>postgres</c> database.
/// </summary>
public static class TestPostgres
{
    /// <summary>The server build/test-setup/postgres.sh starts.</summary>
    public const string DefaultServer = "Host=127.0.0.1;Port=55432;Username=medallion;Password=medallion;Database=postgres";

    /// <summary>MEDALLION_TEST_PG when set, else <see cref="DefaultServer"/>.</summary>
    public static string Server => Environment.GetEnvironmentVariable("MEDALLION_TEST_PG") is { Length: > 0 } value ? value : DefaultServer;
}
