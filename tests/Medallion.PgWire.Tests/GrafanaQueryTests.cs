using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>Query shapes Grafana's PostgreSQL data source sends to a served project: its version probe, table picker and time macros.</summary>
[Collection(LakehouseCollection.Name)]
public sealed class GrafanaQueryTests(LakehouseFixture fixture)
{
    [Fact]
    public void The_version_probe_returns_the_major_version_times_100()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT current_setting('server_version_num')::int/100 AS version", connection);
        Assert.Equal(1500.0, Convert.ToDouble(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_table_picker_lists_the_tables_on_the_search_path()
    {
        using NpgsqlConnection connection = fixture.Open("Search Path=gold");
        using var command = new NpgsqlCommand("""
            SELECT quote_ident(table_schema) AS s, quote_ident(table_name) AS t
            FROM information_schema.tables
            WHERE quote_ident(table_schema) IN (
              SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
              FROM generate_series(
                array_lower(string_to_array(current_setting('search_path'), ','), 1),
                array_upper(string_to_array(current_setting('search_path'), ','), 1)) AS i,
                string_to_array(current_setting('search_path'), ',') s)
            ORDER BY 2
            """, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var tables = new List<string>();
        while (reader.Read())
        {
            tables.Add(reader.GetString(0) + "." + reader.GetString(1));
        }

        Assert.Equal(["gold.daily_revenue"], tables);
    }

    [Fact]
    public void Time_macros_filter_and_convert_to_epoch_seconds()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("""
            SELECT extract(epoch from day) AS "time", sum(revenue) AS revenue
            FROM gold.daily_revenue
            WHERE day BETWEEN '2026-01-01T00:00:00Z' AND '2026-01-01T23:59:59Z'
            GROUP BY 1 ORDER BY 1
            """, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1767225600L, Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1334.49m, reader.GetDecimal(1));
        Assert.False(reader.Read());
    }

    [Fact]
    public void The_column_picker_reads_information_schema_columns()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT quote_ident(column_name) AS column, data_type AS type FROM information_schema.columns WHERE quote_ident(table_schema) = 'gold' AND quote_ident(table_name) = 'daily_revenue' ORDER BY ordinal_position", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        Assert.Equal(["day", "region", "revenue", "orders"], columns);
    }
}
