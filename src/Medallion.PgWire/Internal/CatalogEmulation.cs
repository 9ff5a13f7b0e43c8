using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Makes a DuckDB session look like PostgreSQL to clients' own queries: session-scoped (TEMP) macros
/// shadow or add the functions clients call (<c>version()</c>, <c>current_setting</c>,
/// <c>pg_get_userbyid</c>, ...), on top of the <c>pg_catalog</c> views DuckDB already has. Everything
/// is TEMP, so it needs no write access and vanishes with the session.
/// </summary>
internal static class CatalogEmulation
{
    private const string SettingsTable = "temp.main.__medallion_settings";

    public static async Task InstallAsync(ISqlSession session, string user, string database, SessionSettings settings, CancellationToken cancellationToken)
    {
        settings.TryGet("server_version", out _, out string serverVersion);
        string version = $"PostgreSQL {serverVersion} on x86_64-pc-linux-gnu, compiled by DuckDB {DuckDbDatabase.LibraryVersion}, 64-bit";
        string userLiteral = DuckDbConnection.QuoteLiteral(user);
        string[] statements =
        [
            $"CREATE OR REPLACE TEMP TABLE {SettingsTable} (name VARCHAR PRIMARY KEY, setting VARCHAR)",
            $"CREATE OR REPLACE TEMP MACRO version() AS {DuckDbConnection.QuoteLiteral(version)}",
            $"CREATE OR REPLACE TEMP MACRO current_database() AS {DuckDbConnection.QuoteLiteral(database)}",
            $"CREATE OR REPLACE TEMP MACRO pg_get_userbyid(role_oid) AS {userLiteral}",
            $"CREATE OR REPLACE TEMP MACRO current_setting(setting_name) AS (SELECT s.setting FROM {SettingsTable} s WHERE lower(s.name) = lower(setting_name)), (setting_name, missing_ok) AS (SELECT s.setting FROM {SettingsTable} s WHERE lower(s.name) = lower(setting_name))",
            "CREATE OR REPLACE TEMP MACRO set_config(setting_name, new_value, is_local) AS new_value",
        ];
        foreach (string sql in statements)
        {
            await ExecuteAsync(session, sql, null, cancellationToken).ConfigureAwait(false);
        }

        foreach ((string name, string value) in settings.All())
        {
            await UpdateSettingAsync(session, name, value, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Keeps what <c>current_setting()</c> reads in step with SET.</summary>
    public static Task UpdateSettingAsync(ISqlSession session, string name, string value, CancellationToken cancellationToken) =>
        ExecuteAsync(session, $"INSERT OR REPLACE INTO {SettingsTable} VALUES ($1, $2)", [name, value], cancellationToken);

    private static async Task ExecuteAsync(ISqlSession session, string sql, object?[]? parameters, CancellationToken cancellationToken)
    {
        DuckDbCommand command = session.Connection.CreateCommand();
        command.CommandText = sql;
        foreach (object? parameter in parameters ?? [])
        {
            command.Parameters.Add(new DuckDbParameter(parameter));
        }

        await DuckDbCommands.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
    }
}
