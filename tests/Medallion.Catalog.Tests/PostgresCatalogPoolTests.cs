using Medallion.Catalog.Internal;
using Npgsql;

namespace Medallion.Catalog.Tests;

public sealed class PostgresCatalogPoolTests
{
    [Fact]
    public void A_catalog_url_without_a_pool_size_keeps_each_process_to_twenty_connections()
    {
        var settings = new NpgsqlConnectionStringBuilder(PostgresCatalogDialect.FromUrl("postgres://medallion:secret@db.internal:5432/medallion").WriterKey);

        Assert.Equal(PostgresCatalogDialect.DefaultPoolSize, settings.MaxPoolSize);
    }

    [Fact]
    public void A_pool_size_the_catalog_url_sets_is_kept()
    {
        var settings = new NpgsqlConnectionStringBuilder(PostgresCatalogDialect.FromUrl("postgres://medallion:secret@db.internal:5432/medallion?Maximum%20Pool%20Size=50").WriterKey);

        Assert.Equal(50, settings.MaxPoolSize);
    }
}
