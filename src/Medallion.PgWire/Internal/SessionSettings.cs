using System;
using System.Collections.Generic;
using System.Globalization;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// One session's run-time parameters (what SET, RESET and SHOW see), with PostgreSQL's names and
/// defaults. Values are validated the way PostgreSQL validates them for the parameters whose value
/// changes our behaviour (DateStyle, TimeZone, client_encoding, statement_timeout,
/// extra_float_digits); the others are kept as given.
/// </summary>
internal sealed class SessionSettings
{
    /// <summary>Parameters PostgreSQL reports to the client (GUC_REPORT) at startup and on change.</summary>
    private static readonly string[] s_reported =
    [
        "application_name", "client_encoding", "DateStyle", "default_transaction_read_only", "in_hot_standby",
        "integer_datetimes", "IntervalStyle", "is_superuser", "server_encoding", "server_version",
        "session_authorization", "standard_conforming_strings", "TimeZone",
    ];

    private static readonly (string Name, string Value)[] s_defaults =
    [
        ("application_name", string.Empty),
        ("array_nulls", "on"),
        ("backslash_quote", "safe_encoding"),
        ("block_size", "8192"),
        ("bytea_output", "hex"),
        ("client_encoding", "UTF8"),
        ("client_min_messages", "notice"),
        ("DateStyle", "ISO, MDY"),
        ("default_text_search_config", "pg_catalog.english"),
        ("default_transaction_isolation", "read committed"),
        ("default_transaction_read_only", "on"),
        ("escape_string_warning", "on"),
        ("extra_float_digits", "1"),
        ("idle_in_transaction_session_timeout", "0"),
        ("in_hot_standby", "off"),
        ("integer_datetimes", "on"),
        ("IntervalStyle", "postgres"),
        ("is_superuser", "off"),
        ("jit", "off"),
        ("lc_collate", "C.UTF-8"),
        ("lc_ctype", "C.UTF-8"),
        ("lc_messages", "C"),
        ("lc_monetary", "C"),
        ("lc_numeric", "C"),
        ("lc_time", "C"),
        ("lock_timeout", "0"),
        ("max_connections", "100"),
        ("max_identifier_length", "63"),
        ("max_index_keys", "32"),
        ("row_security", "on"),
        ("search_path", "\"$user\", public"),
        ("server_encoding", "UTF8"),
        ("server_version", "15.0 (Medallion)"),
        ("server_version_num", "150000"),
        ("session_authorization", string.Empty),
        ("standard_conforming_strings", "on"),
        ("statement_timeout", "0"),
        ("synchronous_commit", "on"),
        ("TimeZone", "UTC"),
        ("timezone_abbreviations", "Default"),
        ("transaction_isolation", "read committed"),
        ("transaction_read_only", "on"),
        ("work_mem", "4MB"),
    ];

    /// <summary>Parameters a client may read but not change.</summary>
    private static readonly HashSet<string> s_readOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        "block_size", "in_hot_standby", "integer_datetimes", "is_superuser", "lc_collate", "lc_ctype", "max_connections",
        "max_identifier_length", "max_index_keys", "server_encoding", "server_version", "server_version_num", "session_authorization",
    };

    private readonly Dictionary<string, string> _canonical = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _sessionDefaults = new(StringComparer.OrdinalIgnoreCase);
    private Dictionary<string, string>? _beforeLocal;

    public SessionSettings(IReadOnlyDictionary<string, string> overrides)
    {
        foreach ((string name, string value) in s_defaults)
        {
            _canonical[name] = name;
            _values[name] = value;
        }

        foreach ((string name, string value) in overrides)
        {
            _canonical.TryAdd(name, name);
            _values[name] = value;
        }

        foreach ((string name, string value) in _values)
        {
            _sessionDefaults[name] = value;
        }

        StatementTimeoutMs = ParseMilliseconds(_values["statement_timeout"]) ?? 0;

        TimeZone = TimeZoneInfo.Utc;
    }

    public TimeZoneInfo TimeZone { get; private set; }

    public int StatementTimeoutMs { get; private set; }

    /// <summary>Names whose value changed since the last call; the caller sends ParameterStatus for those that are reported.</summary>
    public List<string> Changed { get; } = [];

    public static bool IsReported(string name) => Array.Exists(s_reported, reported => string.Equals(reported, name, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<(string Name, string Value)> ReportedValues()
    {
        foreach (string name in s_reported)
        {
            yield return (name, _values[name]);
        }
    }

    public IEnumerable<(string Name, string Value)> All()
    {
        var names = new List<string>(_values.Keys);
        names.Sort(StringComparer.OrdinalIgnoreCase);
        foreach (string name in names)
        {
            yield return (_canonical[name], _values[name]);
        }
    }

    public bool TryGet(string name, out string canonicalName, out string value)
    {
        if (_values.TryGetValue(name, out string? found))
        {
            canonicalName = _canonical[name];
            value = found;
            return true;
        }

        canonicalName = name;
        value = string.Empty;
        return false;
    }

    /// <summary>Sets a parameter as SET does; <paramref name="value"/> null means DEFAULT. LOCAL values revert at the transaction's end.</summary>
    public void Set(string name, string? value, bool local)
    {
        if (!_values.ContainsKey(name) && !name.Contains('.', StringComparison.Ordinal))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.UndefinedObject, $"unrecognized configuration parameter \"{name}\"");
        }

        if (s_readOnly.Contains(name))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.CantChangeRuntimeParam, $"parameter \"{name}\" cannot be changed");
        }

        string canonical = _canonical.GetValueOrDefault(name, name.ToLowerInvariant());
        string normalized = value is null ? _sessionDefaults.GetValueOrDefault(canonical, string.Empty) : Normalize(canonical, value);
        if (local)
        {
            _beforeLocal ??= new Dictionary<string, string>(_values, StringComparer.OrdinalIgnoreCase);
        }

        Apply(canonical, normalized);
    }

    /// <summary>Records the environment whose tables the session reads now (what <c>SHOW medallion.environment</c> answers), once the session has switched to them.</summary>
    public void SetEnvironment(string environment) => Apply(LakehouseSessionFactory.EnvironmentSetting, environment);

    public void ResetAll()
    {
        foreach ((string name, string value) in _sessionDefaults)
        {
            if (!s_readOnly.Contains(name) && _values[name] != value)
            {
                Apply(_canonical[name], value);
            }
        }
    }

    /// <summary>Drops SET LOCAL values when a transaction ends.</summary>
    public void EndTransaction()
    {
        if (_beforeLocal is null)
        {
            return;
        }

        Dictionary<string, string> saved = _beforeLocal;
        _beforeLocal = null;
        foreach ((string name, string value) in saved)
        {
            if (_values[name] != value)
            {
                Apply(_canonical[name], value);
            }
        }
    }

    private void Apply(string canonical, string value)
    {
        _canonical[canonical] = canonical;
        _values[canonical] = value;
        if (string.Equals(canonical, "TimeZone", StringComparison.OrdinalIgnoreCase))
        {
            TimeZone = ResolveTimeZone(value) ?? TimeZoneInfo.Utc;
        }
        else if (string.Equals(canonical, "statement_timeout", StringComparison.OrdinalIgnoreCase))
        {
            StatementTimeoutMs = ParseMilliseconds(value) ?? 0;
        }

        Changed.Add(canonical);
    }

    private static string Normalize(string name, string value)
    {
        switch (name.ToLowerInvariant())
        {
            case "datestyle":
                string upper = value.ToUpperInvariant();
                if (!upper.Contains("ISO", StringComparison.Ordinal) && (upper.Contains("SQL", StringComparison.Ordinal) || upper.Contains("POSTGRES", StringComparison.Ordinal) || upper.Contains("GERMAN", StringComparison.Ordinal)))
                {
                    throw Invalid(name, value, "only the ISO output style is supported");
                }

                return "ISO, " + (upper.Contains("DMY", StringComparison.Ordinal) || upper.Contains("EURO", StringComparison.Ordinal) ? "DMY" : upper.Contains("YMD", StringComparison.Ordinal) ? "YMD" : "MDY");
            case "timezone":
                if (ResolveTimeZone(value) is null)
                {
                    throw Invalid(name, value, null);
                }

                return value;
            case "client_encoding":
                return value.ToUpperInvariant().Replace("-", string.Empty, StringComparison.Ordinal) switch
                {
                    "UTF8" or "UNICODE" => "UTF8",
                    "SQL_ASCII" => "SQL_ASCII",
                    _ => throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.FeatureNotSupported, $"conversion between {value} and UTF8 is not supported"),
                };
            case "intervalstyle":
                return string.Equals(value, "postgres", StringComparison.OrdinalIgnoreCase) ? "postgres" : throw Invalid(name, value, "only the postgres style is supported");
            case "extra_float_digits":
                return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int digits) && digits is >= -15 and <= 3
                    ? digits.ToString(CultureInfo.InvariantCulture)
                    : throw Invalid(name, value, "an integer from -15 to 3 is expected");
            case "statement_timeout" or "lock_timeout" or "idle_in_transaction_session_timeout":
                return ParseMilliseconds(value) is int ms ? ms.ToString(CultureInfo.InvariantCulture) : throw Invalid(name, value, "a duration such as 5000, '5s' or '1min' is expected");
            case "standard_conforming_strings":
                return IsOn(value) ? "on" : throw Invalid(name, value, "only 'on' is supported");
            default:
                return value;
        }
    }

    private static bool IsOn(string value) => value.ToUpperInvariant() is "ON" or "TRUE" or "1" or "YES";

    internal static TimeZoneInfo? ResolveTimeZone(string value)
    {
        string name = value.Trim();
        if (name.Length == 0)
        {
            return null;
        }

        if (string.Equals(name, "UTC", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "GMT", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "Z", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Utc;
        }

        if (string.Equals(name, "localtime", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "local", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception error) when (error is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    internal static int? ParseMilliseconds(string value)
    {
        string text = value.Trim().ToLowerInvariant();
        int unitAt = 0;
        while (unitAt < text.Length && char.IsAsciiDigit(text[unitAt]))
        {
            unitAt++;
        }

        if (unitAt == 0 || !long.TryParse(text.AsSpan(0, unitAt), NumberStyles.None, CultureInfo.InvariantCulture, out long number))
        {
            return null;
        }

        long factor = text[unitAt..].Trim() switch
        {
            "" or "ms" => 1,
            "s" => 1000,
            "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => -1,
        };
        return factor < 0 || number * factor > int.MaxValue ? null : (int)(number * factor);
    }

    private static PgWireException Invalid(string name, string value, string? detail) =>
        new(ErrorCode.PgWireStatementFailed, SqlState.InvalidParameterValue,
            $"invalid value for parameter \"{name}\": \"{value}\"" + (detail is null ? string.Empty : ": " + detail));
}
