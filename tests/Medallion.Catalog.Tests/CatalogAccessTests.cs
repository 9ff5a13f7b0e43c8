using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

public sealed class CatalogAccessTests : IAsyncLifetime
{
    private const string Verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVka2V5:c2VydmVya2V5";

    private readonly TempDirectory _dir = new();
    private CatalogStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path));
        await _store.Tables.UpsertTableAsync(new CatalogTable(new TableName("silver", "customers"), "warehouse/silver/customers"));
        await _store.Tables.SetColumnsAsync(new TableName("silver", "customers"), [new("id", "INTEGER"), new("cpf", "VARCHAR", Classification: "pii")]);
        await _store.Identity.SetUserAsync("ana", Verifier);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Users_that_existed_before_grants_become_admins_and_new_users_do_not()
    {
        string path = CatalogStore.DefaultPath(_dir.Path) + ".old.db";
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            // A catalog at schema version 9 with one user, as an upgrade finds it.
            connection.Open();
            await using (CatalogStore fresh = await CatalogStore.OpenAsync(path))
            {
                await fresh.Identity.SetUserAsync("old", Verifier);
            }

            using SqliteCommand downgrade = connection.CreateCommand();
            downgrade.CommandText = "ALTER TABLE users DROP COLUMN is_admin; ALTER TABLE users DROP COLUMN attributes; DROP TABLE access_members; DROP TABLE access_grants; DROP TABLE access_row_filters; DROP TABLE access_masks; DROP TABLE access_keys; DROP TABLE access_roles; ALTER TABLE quality_results DROP COLUMN not_checked; DELETE FROM schema_version WHERE version >= 10";
            downgrade.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        await using CatalogStore upgraded = await CatalogStore.OpenAsync(path);
        await upgraded.Identity.SetUserAsync("new", Verifier);

        Assert.True((await upgraded.Identity.FindUserAsync("old"))!.IsAdmin);
        Assert.False((await upgraded.Identity.FindUserAsync("new"))!.IsAdmin);
    }

    [Fact]
    public async Task A_users_access_gathers_its_own_grants_and_its_roles_grants_and_row_filters()
    {
        await _store.Access.CreateRoleAsync("analysts");
        await _store.Access.AddRoleMemberAsync("analysts", "ana");
        await _store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.Role, "analysts"));
        await _store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Unmask, AccessObjectKind.Classification, "pii", [], GranteeKind.User, "ana"));
        await _store.Access.SetRowFilterAsync(new RowFilter("silver.customers", GranteeKind.Role, "analysts", "id < 10"));

        UserAccess access = (await _store.Access.GetUserAccessAsync("ana"))!;

        Assert.False(access.IsAdmin);
        Assert.Equal(["analysts"], access.Roles);
        Assert.Equal(["select on silver", "unmask on pii"], access.Grants.Select(g => AccessStore.FormatPrivilege(g.Privilege) + " on " + g.Object).Order());
        Assert.Equal("id < 10", Assert.Single(access.RowFilters).Predicate);
    }

    [Fact]
    public async Task Granting_to_an_unknown_role_suggests_the_closest_name()
    {
        await _store.Access.CreateRoleAsync("analysts");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() =>
            _store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.Role, "analyst")));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
        Assert.Contains("There is no role 'analyst'. Did you mean 'analysts'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Granting_on_an_unknown_table_or_column_suggests_the_closest_name()
    {
        MedallionException table = await Assert.ThrowsAsync<MedallionException>(() =>
            _store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.customer", [], GranteeKind.User, "ana")));
        MedallionException column = await Assert.ThrowsAsync<MedallionException>(() =>
            _store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Columns, "silver.customers", ["id", "cfp"], GranteeKind.User, "ana")));

        Assert.Contains("There is no table 'silver.customer'. Did you mean 'silver.customers'?", table.Message, StringComparison.Ordinal);
        Assert.Contains("Table silver.customers has no column 'cfp'. Did you mean 'cpf'?", column.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_privilege_on_the_wrong_kind_of_object_is_refused()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() =>
            _store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Unmask, AccessObjectKind.Namespace, "silver", [], GranteeKind.User, "ana")));

        Assert.Equal(ErrorCode.CatalogAccessInvalid, error.Code);
    }

    [Fact]
    public async Task A_grant_declared_in_a_project_file_cannot_be_revoked_from_the_command_line()
    {
        var declared = new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.User, "ana", DeclaredIn: "access/analysts.yml");
        await _store.Access.GrantAsync(declared);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _store.Access.RevokeAsync(declared with { DeclaredIn = null }));

        Assert.Equal(ErrorCode.CatalogAccessDeclared, error.Code);
        Assert.Contains("declared in access/analysts.yml", error.Message, StringComparison.Ordinal);
        Assert.Single(await _store.Access.ListGrantsAsync());
    }

    [Fact]
    public async Task Removing_a_user_removes_the_users_grants_and_memberships()
    {
        await _store.Access.CreateRoleAsync("analysts");
        await _store.Access.AddRoleMemberAsync("analysts", "ana");
        await _store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.User, "ana"));

        await _store.Identity.RemoveUserAsync("ana");

        Assert.Empty(await _store.Access.ListGrantsAsync());
        Assert.Empty(Assert.Single(await _store.Access.ListRolesAsync()).Members);
    }

    [Fact]
    public async Task The_masking_key_is_created_once_and_then_kept()
    {
        byte[] first = await _store.Access.GetMaskingKeyAsync();
        byte[] second = await _store.Access.GetMaskingKeyAsync();

        Assert.Equal(32, first.Length);
        Assert.Equal(first, second);
    }
}
