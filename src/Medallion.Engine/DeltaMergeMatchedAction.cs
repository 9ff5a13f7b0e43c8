namespace Medallion.Engine;

/// <summary>The action of a MERGE for matched rows.</summary>
public enum DeltaMergeMatchedAction
{
    /// <summary>Leave matched rows as they are.</summary>
    None,

    /// <summary>Set every target column the source has to the source's value.</summary>
    Update,

    /// <summary>Delete matched target rows.</summary>
    Delete,
}
