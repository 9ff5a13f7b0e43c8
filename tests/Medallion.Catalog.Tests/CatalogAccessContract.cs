namespace Medallion.Catalog.Tests;

/// <summary>Roles, members, grants, row filters, masking and declared access on every engine.</summary>
public abstract class CatalogAccessContract(CatalogEngine engine) : CatalogContract(engine)
{
    private const string Verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVka2V5:c2VydmVya2V5";

    protected override async Task SeedAsync()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(new TableName("silver", "customers"), "warehouse/silver/customers"));
        await Store.Tables.SetColumnsAsync(new TableName("silver", "customers"), [new("id", "INTEGER"), new("cpf", "VARCHAR", Classification: "pii")]);
        await Store.Identity.SetUserAsync("ana", Verifier);
    }

    [Fact]
    public async Task Users_that_existed_before_grants_become_admins_and_new_users_do_not()
    {
        // A catalog at schema version 9 with one user, as an upgrade finds it.
        string location = await Engine.NewLocationAsync();
        await using (CatalogStore fresh = await CatalogStore.OpenAsync(location))
        {
            await fresh.Identity.SetUserAsync("old", Verifier);
        }

        await Engine.ExecuteAsync(location, "ALTER TABLE users DROP COLUMN is_admin; ALTER TABLE users DROP COLUMN attributes; DROP TABLE access_members; DROP TABLE access_grants; DROP TABLE access_row_filters; DROP TABLE access_masks; DROP TABLE access_keys; DROP TABLE access_roles; ALTER TABLE quality_results DROP COLUMN not_checked; ALTER TABLE runs DROP COLUMN cancel_requested_at; DROP TABLE servers; DROP INDEX runs_admitted; ALTER TABLE runs DROP COLUMN admitted_at; ALTER TABLE model_runs DROP COLUMN started_at; DROP INDEX runs_parent; DROP TABLE doc_edits; DROP INDEX saved_queries_shared; DROP TABLE saved_queries; DROP TABLE environment_models; ALTER TABLE runs DROP COLUMN environment; DROP TABLE environment_tables; DROP INDEX quality_results_location; ALTER TABLE quality_results DROP COLUMN environment; ALTER TABLE quality_results DROP COLUMN location; DROP INDEX runs_after_upstream; ALTER TABLE runs DROP COLUMN upstream_run_id; DROP INDEX runs_holding; ALTER TABLE runs DROP COLUMN writes; DELETE FROM schema_version WHERE version >= 10");

        await using CatalogStore upgraded = await CatalogStore.OpenAsync(location);
        await upgraded.Identity.SetUserAsync("new", Verifier);

        Assert.True((await upgraded.Identity.FindUserAsync("old"))!.IsAdmin);
        Assert.False((await upgraded.Identity.FindUserAsync("new"))!.IsAdmin);
    }

    [Fact]
    public async Task A_users_access_gathers_its_own_grants_and_its_roles_grants_and_row_filters()
    {
        await Store.Access.CreateRoleAsync("analysts");
        await Store.Access.AddRoleMemberAsync("analysts", "ana");
        await Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.Role, "analysts"));
        await Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Unmask, AccessObjectKind.Classification, "pii", [], GranteeKind.User, "ana"));
        await Store.Access.SetRowFilterAsync(new RowFilter("silver.customers", GranteeKind.Role, "analysts", "id < 10"));

        UserAccess access = (await Store.Access.GetUserAccessAsync("ana"))!;

        Assert.False(access.IsAdmin);
        Assert.Equal(["analysts"], access.Roles);
        Assert.Equal(["select on silver", "unmask on pii"], access.Grants.Select(g => AccessStore.FormatPrivilege(g.Privilege) + " on " + g.Object).Order());
        Assert.Equal("id < 10", Assert.Single(access.RowFilters).Predicate);
    }

    [Fact]
    public async Task A_user_given_operate_on_the_server_through_a_role_is_an_operator()
    {
        await Store.Access.CreateRoleAsync("ops");
        await Store.Access.AddRoleMemberAsync("ops", "ana");
        CatalogUser ana = (await Store.Identity.FindUserAsync("ana"))!;
        Assert.Equal(ServerRole.Viewer, await Store.Access.GetServerRoleAsync(ana));

        await Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Operate, AccessObjectKind.Server, "server", [], GranteeKind.Role, "ops"));

        Assert.Equal(ServerRole.Operator, await Store.Access.GetServerRoleAsync(ana));
    }

    [Fact]
    public async Task A_users_admin_flag_and_attributes_are_kept()
    {
        await Store.Access.SetUserAdminAsync("ana", true);
        await Store.Access.SetUserAttributeAsync("ana", "region", "eu");
        await Store.Access.SetUserAttributeAsync("ana", "team", "sales");
        await Store.Access.SetUserAttributeAsync("ana", "team", null);

        CatalogUser ana = (await Store.Identity.FindUserAsync("ana"))!;

        Assert.True(ana.IsAdmin);
        Assert.Equal(new Dictionary<string, string> { ["region"] = "eu" }, ana.Attributes);
    }

    [Fact]
    public async Task Granting_to_an_unknown_role_suggests_the_closest_name()
    {
        await Store.Access.CreateRoleAsync("analysts");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() =>
            Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.Role, "analyst")));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
        Assert.Contains("There is no role 'analyst'. Did you mean 'analysts'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Granting_on_an_unknown_table_or_column_suggests_the_closest_name()
    {
        MedallionException table = await Assert.ThrowsAsync<MedallionException>(() =>
            Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.customer", [], GranteeKind.User, "ana")));
        MedallionException column = await Assert.ThrowsAsync<MedallionException>(() =>
            Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Columns, "silver.customers", ["id", "cfp"], GranteeKind.User, "ana")));

        Assert.Contains("There is no table 'silver.customer'. Did you mean silver.customers?", table.Message, StringComparison.Ordinal);
        Assert.Contains("Table silver.customers has no column 'cfp'. Did you mean 'cpf'?", column.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_privilege_on_the_wrong_kind_of_object_is_refused()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() =>
            Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Unmask, AccessObjectKind.Namespace, "silver", [], GranteeKind.User, "ana")));

        Assert.Equal(ErrorCode.CatalogAccessInvalid, error.Code);
    }

    [Fact]
    public async Task A_grant_declared_in_a_project_file_cannot_be_revoked_from_the_command_line()
    {
        var declared = new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.User, "ana", DeclaredIn: "access/analysts.yml");
        await Store.Access.GrantAsync(declared);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => Store.Access.RevokeAsync(declared with { DeclaredIn = null }));

        Assert.Equal(ErrorCode.CatalogAccessDeclared, error.Code);
        Assert.Contains("declared in access/analysts.yml", error.Message, StringComparison.Ordinal);
        Assert.Single(await Store.Access.ListGrantsAsync());
    }

    [Fact]
    public async Task Removing_a_user_removes_the_users_grants_and_memberships()
    {
        await Store.Access.CreateRoleAsync("analysts");
        await Store.Access.AddRoleMemberAsync("analysts", "ana");
        await Store.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.User, "ana"));

        await Store.Identity.RemoveUserAsync("ana");

        Assert.Empty(await Store.Access.ListGrantsAsync());
        Assert.Empty(Assert.Single(await Store.Access.ListRolesAsync()).Members);
    }

    [Fact]
    public async Task The_masking_key_is_created_once_and_then_kept()
    {
        byte[] first = await Store.Access.GetMaskingKeyAsync();
        byte[] second = await Store.Access.GetMaskingKeyAsync();

        Assert.Equal(32, first.Length);
        Assert.Equal(first, second);
    }
}

public sealed class CatalogAccessOnSqliteTests() : CatalogAccessContract(new SqliteCatalogEngine());

public sealed class CatalogAccessOnPostgresTests() : CatalogAccessContract(new PostgresCatalogEngine());
