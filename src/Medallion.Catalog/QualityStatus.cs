namespace Medallion.Catalog;

/// <summary>The states a quality result is shown in: the words the CLI, the web pages and the REST API use.</summary>
public static class QualityStatus
{
    /// <summary>The rule held.</summary>
    public const string Passed = "passed";

    /// <summary>The rule was checked and broke.</summary>
    public const string Broken = "broken";

    /// <summary>The rule was not checked (the result says why).</summary>
    public const string NotChecked = "not checked";

    /// <summary>Why a rule on an incremental build that brought no new rows was not checked.</summary>
    public const string NoNewRows = "no new rows";
}
