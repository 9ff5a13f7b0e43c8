using System.Reflection;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>The error table every edge reads: a row for each code, and SQLSTATEs a PostgreSQL client knows.</summary>
public sealed class ErrorTableTests
{
    /// <summary>Every SQLSTATE PostgreSQL defines, as Npgsql lists them.</summary>
    private static readonly HashSet<string> s_postgresStates = typeof(PostgresErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    public static TheoryData<ErrorCode> Codes => [.. Enum.GetValues<ErrorCode>()];

    [Theory]
    [MemberData(nameof(Codes))]
    public void Every_code_has_its_own_row_with_a_sqlstate_postgresql_defines(ErrorCode code)
    {
        ErrorCodeInfo info = ErrorCodes.Describe(code);

        Assert.Equal(code, info.Code);
        Assert.Contains(info.SqlState, s_postgresStates);
    }

    [Fact]
    public void The_kinds_give_the_readmes_exit_codes_and_http_statuses()
    {
        Assert.Equal(
            [(400, 1), (400, 2), (401, 1), (403, 1), (404, 1), (409, 1), (503, 1), (501, 1), (500, 1), (500, 70)],
            Enum.GetValues<ErrorKind>().Select(kind => Enum.GetValues<ErrorCode>().Select(ErrorCodes.Describe).First(i => i.Kind == kind)).Select(i => (i.HttpStatus, i.ExitCode)));
    }

    [Fact]
    public void Only_bugs_are_internal_and_only_they_exit_70()
    {
        Assert.Equal(
            [ErrorCode.Unknown, ErrorCode.InternalError, ErrorCode.DeltaParquetReaderMissing],
            Enum.GetValues<ErrorCode>().Where(c => ErrorCodes.Describe(c).ExitCode == 70));
    }

    [Fact]
    public void An_exception_is_as_transient_as_its_codes_row_unless_the_throw_site_knows_better()
    {
        Assert.Equal(
            (true, false, false),
            (new MedallionException(ErrorCode.DeltaConcurrentModification, "lost the race").IsTransient,
             new MedallionException(ErrorCode.ModelSqlInvalid, "no SELECT").IsTransient,
             new MedallionException(ErrorCode.StorageIoFailed, "403 from the store", isTransient: false).IsTransient));
    }

    [Fact]
    public void A_codes_title_is_its_name_in_words()
    {
        Assert.Equal(
            ["Catalog object not found", "DuckDB query failed", "PgWire statement failed", "HTTP source request failed", "Model SQL invalid"],
            new[] { ErrorCode.CatalogObjectNotFound, ErrorCode.DuckDbQueryFailed, ErrorCode.PgWireStatementFailed, ErrorCode.HttpSourceRequestFailed, ErrorCode.ModelSqlInvalid }.Select(ErrorCodes.Title));
    }

    [Theory]
    [InlineData("MDL6903", ErrorCode.CatalogObjectNotFound)]
    [InlineData("MDL6999", null)]
    [InlineData("mdl6903", null)]
    [InlineData("MDL69031", null)]
    public void A_code_as_users_see_it_reads_back_and_anything_else_does_not(string text, ErrorCode? code)
    {
        Assert.Equal(code, ErrorCodes.Parse(text));
    }
}
