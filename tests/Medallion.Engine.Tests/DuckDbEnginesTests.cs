using System.Globalization;
using Medallion.DuckDb;

namespace Medallion.Engine.Tests;

/// <summary>The one place DuckDB's settings are chosen: each kind of database opens with its own.</summary>
public sealed class DuckDbEnginesTests
{
    private static string Setting(DuckDbConnection connection, string name)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT current_setting('{name}')::VARCHAR";
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture)!;
    }

    [Fact]
    public void Work_databases_use_the_engines_threads_and_ingestion_databases_one_fewer()
    {
        var engines = new DuckDbEngines(threads: 3);
        using DuckDbDatabase work = engines.OpenWork();
        using DuckDbDatabase ingestion = engines.OpenIngestion();
        using DuckDbConnection workConnection = work.CreateConnection();
        using DuckDbConnection ingestionConnection = ingestion.CreateConnection();

        Assert.Equal(("3", "2"), (Setting(workConnection, "threads"), Setting(ingestionConnection, "threads")));
    }

    [Fact]
    public void An_ingestion_database_on_one_core_still_has_a_thread()
    {
        using DuckDbDatabase ingestion = new DuckDbEngines(threads: 1).OpenIngestion();
        using DuckDbConnection connection = ingestion.CreateConnection();

        Assert.Equal("1", Setting(connection, "threads"));
    }

    [Fact]
    public void The_engines_memory_limit_bounds_work_and_scratch_databases()
    {
        var engines = new DuckDbEngines(memoryLimit: "256MB");
        using DuckDbDatabase work = engines.OpenWork();
        using DuckDbConnection workConnection = work.CreateConnection();
        using DuckDbConnection scratch = engines.OpenScratch();

        Assert.Equal(("244.1 MiB", "244.1 MiB"), (Setting(workConnection, "memory_limit"), Setting(scratch, "memory_limit")));
    }

    [Fact]
    public void A_serving_database_reads_only_its_folders_and_refuses_changes_to_its_configuration()
    {
        string folder = Directory.CreateTempSubdirectory("medallion-serving-").FullName;
        try
        {
            using DuckDbDatabase serving = DuckDbEngines.Default.OpenServing(null, [folder]);
            using DuckDbConnection connection = serving.CreateConnection();
            using DuckDbCommand command = connection.CreateCommand();
            command.CommandText = "SELECT * FROM read_csv('/etc/passwd')";

            Assert.Throws<DuckDbException>(() => command.ExecuteScalar());
            command.CommandText = "SET threads = 1";
            Assert.Throws<DuckDbException>(() => command.ExecuteNonQuery());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Fewer_than_one_thread_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DuckDbEngines(threads: 0));
    }
}
