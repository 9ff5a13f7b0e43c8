namespace Medallion.Delta.Actions;

/// <summary>One action of the Delta log (a line of a commit file or a row of a checkpoint).</summary>
/// <remarks>The action kinds are the protocol's; only this library derives from it.</remarks>
public abstract record DeltaAction
{
    private protected DeltaAction()
    {
    }
}
