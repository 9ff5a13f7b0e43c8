using System.Data.Common;

namespace Medallion.Catalog.Tests;

/// <summary>Users, API tokens and the record of the server's actions on every engine.</summary>
public abstract class CatalogUserContract(CatalogEngine engine) : CatalogContract(engine)
{
    private const string Verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVka2V5:c2VydmVya2V5";

    private readonly ManualTime _time = new(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));

    protected override TimeProvider? Time => _time;

    [Fact]
    public async Task An_added_user_is_found_by_name_with_its_verifier()
    {
        Assert.True(await Store.Identity.SetUserAsync("analyst", Verifier));

        Assert.Equal(Verifier, await Store.Identity.FindUserVerifierAsync("analyst"));
        Assert.Null(await Store.Identity.FindUserVerifierAsync("Analyst"));
    }

    [Fact]
    public async Task Setting_an_existing_user_replaces_its_verifier_and_keeps_one_row()
    {
        await Store.Identity.SetUserAsync("analyst", Verifier);
        string other = Verifier.Replace("4096", "8192", StringComparison.Ordinal);

        Assert.False(await Store.Identity.SetUserAsync("analyst", other));

        Assert.Equal(other, await Store.Identity.FindUserVerifierAsync("analyst"));
        Assert.Single(await Store.Identity.ListUsersAsync());
    }

    [Fact]
    public async Task A_plain_password_is_refused_and_nothing_is_stored()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Identity.SetUserAsync("analyst", "s3cret-pass"));

        Assert.Empty(await Store.Identity.ListUsersAsync());
    }

    [Fact]
    public async Task The_users_table_refuses_a_plain_password_written_around_the_store()
    {
        await Assert.ThrowsAnyAsync<DbException>(() => Engine.ExecuteAsync(Location, "INSERT INTO users VALUES ('x', 's3cret-pass', '', '')"));

        Assert.Empty(await Store.Identity.ListUsersAsync());
    }

    [Fact]
    public async Task Users_are_listed_by_name_and_removed_one_at_a_time()
    {
        await Store.Identity.SetUserAsync("bi", Verifier);
        await Store.Identity.SetUserAsync("analyst", Verifier);

        Assert.Equal(["analyst", "bi"], (await Store.Identity.ListUsersAsync()).Select(u => u.Name));
        Assert.True(await Store.Identity.RemoveUserAsync("bi"));
        Assert.False(await Store.Identity.RemoveUserAsync("bi"));
        Assert.Equal(["analyst"], (await Store.Identity.ListUsersAsync()).Select(u => u.Name));
    }

    [Fact]
    public async Task A_saved_user_gets_its_roles_server_role_admin_flag_and_attributes_in_one_write()
    {
        await Store.Access.CreateRoleAsync("analysts");

        bool added = await Store.Identity.SaveUserAsync(new UserDefinition("ana", Verifier)
        {
            Roles = ["analysts"],
            ServerRole = ServerRole.Operator,
            IsAdmin = true,
            Attributes = new Dictionary<string, string> { ["region"] = "eu" },
        });

        CatalogUser ana = (await Store.Identity.FindUserAsync("ana"))!;
        Assert.True(added);
        Assert.Equal((ServerRole.Operator, true, "eu"), (ana.Role, ana.IsAdmin, ana.Attributes["region"]));
        Assert.Equal(["ana"], Assert.Single(await Store.Access.ListRolesAsync()).Members);
    }

    [Fact]
    public async Task The_first_user_is_added_only_to_a_catalog_without_users()
    {
        Assert.True(await Store.Identity.AddFirstUserAsync(new UserDefinition("admin", Verifier) { IsAdmin = true }));

        Assert.False(await Store.Identity.AddFirstUserAsync(new UserDefinition("second", Verifier)));
        Assert.Equal(["admin"], (await Store.Identity.ListUsersAsync()).Select(u => u.Name));
    }

    [Fact]
    public async Task Of_two_processes_adding_the_first_user_at_once_one_adds_it()
    {
        await using CatalogStore other = await CatalogStore.OpenAsync(Engine.AsAnotherProcess(Location), Time);

        bool[] added = await Task.WhenAll(
            Store.Identity.AddFirstUserAsync(new UserDefinition("ana", Verifier) { IsAdmin = true }),
            other.Identity.AddFirstUserAsync(new UserDefinition("bo", Verifier) { IsAdmin = true }));

        Assert.Single(added, true);
        Assert.Single(await Store.Identity.ListUsersAsync());
    }

    [Fact]
    public async Task A_users_server_role_is_set_and_an_unknown_user_is_refused()
    {
        await Store.Identity.SetUserAsync("analyst", Verifier);

        await Store.Identity.SetUserRoleAsync("analyst", ServerRole.Operator);

        Assert.Equal(ServerRole.Operator, (await Store.Identity.FindUserAsync("analyst"))!.Role);
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => Store.Identity.SetUserRoleAsync("nobody", ServerRole.Viewer));
        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
    }

    [Fact]
    public async Task An_api_token_acts_as_its_user_until_it_is_revoked()
    {
        await Store.Identity.SetUserAsync("analyst", Verifier);
        (ApiToken token, string secret) = await Store.Identity.CreateApiTokenAsync("analyst", null);

        CatalogUser? user = await Store.Identity.AuthenticateApiTokenAsync(secret);
        Assert.True(await Store.Identity.RevokeApiTokenAsync(token.Id));

        Assert.Equal("analyst", user?.Name);
        Assert.Null(await Store.Identity.AuthenticateApiTokenAsync(secret));
        Assert.False(await Store.Identity.RevokeApiTokenAsync(token.Id));
    }

    [Fact]
    public async Task An_expired_api_token_acts_as_nobody()
    {
        await Store.Identity.SetUserAsync("analyst", Verifier);
        (_, string secret) = await Store.Identity.CreateApiTokenAsync("analyst", _time.Now.AddHours(1));
        _time.Now = _time.Now.AddHours(2);

        Assert.Null(await Store.Identity.AuthenticateApiTokenAsync(secret));
    }

    [Fact]
    public async Task Api_tokens_are_listed_newest_first_for_every_user_or_one()
    {
        await Store.Identity.SetUserAsync("analyst", Verifier);
        await Store.Identity.SetUserAsync("bi", Verifier);
        (ApiToken first, _) = await Store.Identity.CreateApiTokenAsync("analyst", null);
        _time.Now = _time.Now.AddMinutes(1);
        (ApiToken second, _) = await Store.Identity.CreateApiTokenAsync("bi", null);

        Assert.Equal([second.Id, first.Id], (await Store.Identity.ListApiTokensAsync()).Select(t => t.Id));
        Assert.Equal([first.Id], (await Store.Identity.ListApiTokensAsync("analyst")).Select(t => t.Id));
    }

    [Fact]
    public async Task Server_actions_are_listed_newest_first_and_those_of_one_instant_in_reverse_order_of_recording()
    {
        await Store.Identity.RecordServerActionAsync("ana", "run", "job:hourly", null);
        _time.Now = _time.Now.AddSeconds(1);
        await Store.Identity.RecordServerActionAsync("ana", "pause", "job:hourly", "until Monday");
        await Store.Identity.RecordServerActionAsync("bo", "resume", "job:hourly", null);
        await Store.Identity.RecordServerActionAsync("ana", "cancel", "run:0001", null);

        List<ServerAction> actions = await Store.Identity.ListServerActionsAsync(3);

        Assert.Equal(["cancel", "resume", "pause"], actions.Select(a => a.Action));
        Assert.Equal((_time.Now, "ana", "until Monday"), (actions[2].At, actions[2].User, actions[2].Detail));
    }
}

public sealed class CatalogUserOnSqliteTests() : CatalogUserContract(new SqliteCatalogEngine());

public sealed class CatalogUserOnPostgresTests() : CatalogUserContract(new PostgresCatalogEngine());
