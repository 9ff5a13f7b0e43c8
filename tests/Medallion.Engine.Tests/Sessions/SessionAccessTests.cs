using System.Text.Json;
using Medallion.Delta.Schema;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.Engine.Tests.Sessions;

/// <summary>The SQL of <see cref="SessionAccess.Project"/> run by DuckDB with the mask functions <see cref="SessionAccess.Install"/> registers.</summary>
public sealed class SessionAccessTests
{
    private static readonly byte[] s_key = "a project's 32-byte masking key!"u8.ToArray();

    [Fact]
    public void A_hashed_id_masks_to_the_same_integer_in_columns_of_every_integer_width()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        var access = new SessionAccess("ana", new Dictionary<string, TableAccess>(), s_key);
        access.Install(connection);
        StructType schema = new([Field("t", PrimitiveType.Byte), Field("s", PrimitiveType.Short), Field("i", PrimitiveType.Integer), Field("l", PrimitiveType.Long)]);
        var masks = new Dictionary<string, ColumnMask>(StringComparer.OrdinalIgnoreCase)
        {
            ["t"] = new(ColumnMaskKind.Hash), ["s"] = new(ColumnMaskKind.Hash), ["i"] = new(ColumnMaskKind.Hash), ["l"] = new(ColumnMaskKind.Hash),
        };
        string view = SessionAccess.Project("SELECT 42::TINYINT AS t, 42::SMALLINT AS s, 42::INTEGER AS i, 42::BIGINT AS l", new TableAccess(null, masks, null), schema);

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT typeof(t), typeof(s), typeof(i), typeof(l), t = i AND s = i AND l = i, i <> 42 FROM ({view})";
        using DuckDbDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());

        Assert.Equal(["INTEGER", "INTEGER", "INTEGER", "BIGINT"], [reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)]);
        Assert.True(reader.GetBoolean(4));
        Assert.True(reader.GetBoolean(5));
    }

    private static StructField Field(string name, DeltaType type) => new(name, type, true, new Dictionary<string, JsonElement>());
}
