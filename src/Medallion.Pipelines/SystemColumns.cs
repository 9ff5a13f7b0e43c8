using System;
using System.Collections.Generic;

namespace Medallion.Pipelines;

/// <summary>
/// The columns Medallion adds to the rows it lands: bronze rows loaded from files, and rows a model's
/// <c>quarantine</c> rules set aside. One definition for the loaders that write them and the tools that document them.
/// </summary>
public static class SystemColumns
{
    /// <summary>The file a bronze row was loaded from, relative to the project.</summary>
    public const string SourceFile = "_source_file";

    /// <summary>The line of the file where a bronze row's record starts (text formats only).</summary>
    public const string SourceLine = "_source_line";

    /// <summary>When a bronze row was loaded.</summary>
    public const string IngestedAt = "_ingested_at";

    /// <summary>The run that loaded a bronze row.</summary>
    public const string RunId = "_run_id";

    /// <summary>A record's text, when it could not be parsed.</summary>
    public const string RawLine = "_raw_line";

    /// <summary>Why a record could not be parsed.</summary>
    public const string ParseError = "_parse_error";

    /// <summary>The quarantine rules a quarantined row broke.</summary>
    public const string QuarantineRules = "_quarantine_rules";

    /// <summary>The run that set a quarantined row aside.</summary>
    public const string QuarantineRunId = "_quarantine_run_id";

    /// <summary>When a quarantined row was set aside.</summary>
    public const string QuarantinedAt = "_quarantined_at";

    private static readonly Dictionary<string, string> s_descriptions = new(StringComparer.OrdinalIgnoreCase)
    {
        [SourceFile] = "The file the row was loaded from, relative to the project.",
        [SourceLine] = "The line of the file where the row's record starts (text formats only).",
        [IngestedAt] = "When the row was loaded.",
        [RunId] = "The run that loaded the row.",
        [RawLine] = "The record's text, when it could not be parsed (its typed columns are null).",
        [ParseError] = "Why the record could not be parsed; null for rows that parsed.",
        [QuarantineRules] = "The quarantine rules the row broke.",
        [QuarantineRunId] = "The run that set the row aside.",
        [QuarantinedAt] = "When the row was set aside.",
    };

    /// <summary>What a system column holds, as its documentation reads; null for any other column.</summary>
    /// <param name="column">A column name (case-insensitive).</param>
    public static string? Describe(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return s_descriptions.GetValueOrDefault(column);
    }
}
