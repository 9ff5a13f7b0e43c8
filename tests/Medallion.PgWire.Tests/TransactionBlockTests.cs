using Medallion.PgWire.Internal;

namespace Medallion.PgWire.Tests;

/// <summary>The transaction block a connection reports in ReadyForQuery: its states, savepoints and what ending it returns.</summary>
public sealed class TransactionBlockTests
{
    [Fact]
    public void A_failure_outside_a_block_leaves_the_connection_idle()
    {
        var block = new TransactionBlock();

        block.Fail();

        Assert.Equal('I', block.Status);
    }

    [Fact]
    public void A_failure_inside_a_block_fails_it_until_it_ends_and_ending_says_it_failed()
    {
        var block = new TransactionBlock();
        block.Begin();
        block.Fail();

        Assert.Equal('E', block.Status);
        Assert.Equal((true, false), block.End());
        Assert.Equal('I', block.Status);
    }

    [Fact]
    public void Rolling_back_to_a_savepoint_of_a_failed_block_makes_it_usable_and_drops_the_later_savepoints()
    {
        var block = new TransactionBlock();
        block.Begin();
        block.AddSavepoint("a");
        block.AddSavepoint("b");
        block.Fail();

        Assert.True(block.RollbackTo("a"));
        Assert.Equal('T', block.Status);
        PgWireException gone = Assert.Throws<PgWireException>(() => block.Release("b"));
        Assert.Equal("savepoint \"b\" does not exist", gone.Message);
        block.Release("a");
    }

    [Fact]
    public void The_catalog_installed_inside_a_block_is_reported_when_the_block_ends_and_not_after()
    {
        var block = new TransactionBlock();
        block.Begin();
        block.CatalogInstalled();

        Assert.Equal((false, true), block.End());
        Assert.Equal((false, false), block.End());
    }

    [Fact]
    public void Ending_a_block_forgets_its_savepoints()
    {
        var block = new TransactionBlock();
        block.Begin();
        block.AddSavepoint("a");
        block.End();
        block.Begin();

        Assert.Throws<PgWireException>(() => block.RollbackTo("a"));
    }
}
