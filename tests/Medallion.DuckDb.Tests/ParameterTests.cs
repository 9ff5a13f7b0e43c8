namespace Medallion.DuckDb.Tests;

/// <summary>Positional and named parameters of every bindable .NET type round-trip through DuckDB.</summary>
public sealed class ParameterTests
{
    public static TheoryData<object, string> Values => new()
    {
        { true, "BOOLEAN" },
        { (sbyte)-5, "TINYINT" },
        { (short)-300, "SMALLINT" },
        { -70000, "INTEGER" },
        { -5_000_000_000L, "BIGINT" },
        { (byte)200, "UTINYINT" },
        { (ushort)60000, "USMALLINT" },
        { 4_000_000_000u, "UINTEGER" },
        { ulong.MaxValue, "UBIGINT" },
        { Int128.MinValue, "HUGEINT" },
        { UInt128.MaxValue, "UHUGEINT" },
        { 1.25f, "FLOAT" },
        { -2.5e300, "DOUBLE" },
        { "hello, ünïcode 🦆", "VARCHAR" },
        { new byte[] { 0, 1, 255 }, "BLOB" },
        { new DateOnly(2026, 1, 2), "DATE" },
        { new TimeOnly(3, 4, 5, 678), "TIME" },
        { new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Unspecified), "TIMESTAMP" },
        { new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc), "TIMESTAMP WITH TIME ZONE" },
        { new DuckDbInterval(14, 3, 5_000_000), "INTERVAL" },
        { Guid.Parse("6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"), "UUID" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Positional_parameter_round_trips_with_its_duckdb_type(object value, string duckDbType)
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT ? AS v, typeof(?) AS t";
        command.Parameters.Add(value);
        command.Parameters.Add(value);
        using DuckDbDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());

        Assert.Equal(value, reader.GetValue(0));
        Assert.Equal(duckDbType, reader.GetString(1));
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void Named_parameter_round_trips(object value, string duckDbType)
    {
        _ = duckDbType;
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $value AS v";
        command.Parameters.AddWithValue("value", value);

        Assert.Equal(value, command.ExecuteScalar());
    }

    [Fact]
    public void Decimal_parameter_keeps_its_scale_and_digits()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $1::VARCHAR, $2::DECIMAL(38,5), $3";
        command.Parameters.Add(-12345.678m);
        command.Parameters.Add(79228162514264337593543950335m);
        command.Parameters.Add(0.1m);
        using DuckDbDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());

        Assert.Equal("-12345.678", reader.GetString(0));
        Assert.Equal(79228162514264337593543950335m, reader.GetDecimal(1));
        Assert.Equal(0.1m, reader.GetDecimal(2));
    }

    [Fact]
    public void Date_time_offset_binds_as_the_same_instant()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $1";
        command.Parameters.Add(new DateTimeOffset(2026, 1, 2, 5, 0, 0, TimeSpan.FromHours(2)));

        Assert.Equal(new DateTime(2026, 1, 2, 3, 0, 0, DateTimeKind.Utc), command.ExecuteScalar());
    }

    [Fact]
    public void Time_span_binds_as_an_interval()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT TIMESTAMP '2026-01-01' + $1";
        command.Parameters.Add(TimeSpan.FromHours(25.5));

        Assert.Equal(new DateTime(2026, 1, 2, 1, 30, 0), command.ExecuteScalar());
    }

    [Fact]
    public void Char_and_enum_values_bind_as_text()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $1 || $2";
        command.Parameters.Add('x');
        command.Parameters.Add(DayOfWeek.Friday);

        Assert.Equal("xFriday", command.ExecuteScalar());
    }

    [Fact]
    public void Null_and_db_null_bind_as_sql_null()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $1::INTEGER IS NULL AND $2::VARCHAR IS NULL";
        command.Parameters.Add(new DuckDbParameter((object?)null));
        command.Parameters.Add(DBNull.Value);

        Assert.Equal(true, command.ExecuteScalar());
    }

    [Theory]
    [InlineData("id")]
    [InlineData("$id")]
    [InlineData("@id")]
    [InlineData(":id")]
    [InlineData("ID")]
    public void Named_parameters_match_with_or_without_a_prefix(string name)
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $id + 1";
        command.Parameters.Add(new DuckDbParameter(name, 41));

        Assert.Equal(42, command.ExecuteScalar());
    }

    [Fact]
    public void Numbered_parameters_bind_by_position_and_may_repeat()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $2 || $1 || $2";
        command.Parameters.Add("a");
        command.Parameters.Add("b");

        Assert.Equal("bab", command.ExecuteScalar());
    }

    [Fact]
    public void Parameters_bind_in_each_statement_of_a_command()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (id INTEGER, name VARCHAR); INSERT INTO t VALUES ($id, $name); SELECT name FROM t WHERE id = $id";
        command.Parameters.AddWithValue("id", 7);
        command.Parameters.AddWithValue("name", "seven");

        Assert.Equal("seven", command.ExecuteScalar());
    }

    [Fact]
    public void A_missing_named_parameter_names_it_and_says_how_to_add_it()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $id, $name";
        command.Parameters.AddWithValue("id", 1);

        var error = Assert.Throws<DuckDbException>(() => command.ExecuteScalar());

        Assert.Equal(
            "No value was given for parameter $name. Help: add it with command.Parameters.AddWithValue(\"name\", value) or, for positional parameters, command.Parameters.Add(value) in order.",
            error.Message);
        Assert.Equal(DuckDbErrorType.ParameterNotResolved, error.ErrorType);
        Assert.Equal(ErrorCode.DuckDbPrepareFailed, error.Code);
    }

    [Fact]
    public void A_missing_positional_parameter_names_its_position()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT ?, ?";
        command.Parameters.Add(1);

        var error = Assert.Throws<DuckDbException>(() => command.ExecuteScalar());

        Assert.StartsWith("No value was given for parameter $2.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_bind_leaves_the_connection_usable()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT ?";

        Assert.Throws<DuckDbException>(() => command.ExecuteScalar());
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public void An_unsupported_parameter_type_is_an_argument_error_with_help()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT ?";
        command.Parameters.Add(new Uri("https://example.com"));

        var error = Assert.Throws<ArgumentException>(() => command.ExecuteScalar());

        Assert.Equal("Parameter values of type System.Uri are not supported. Help: pass a string, number, bool, date/time, Guid, byte[] or null.", error.Message);
    }
}
