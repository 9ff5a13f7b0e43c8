using Medallion.Pipelines.Privacy;

namespace Medallion.Platform.Tests.Privacy;

public sealed class PiiDetectorTests
{
    [Theory]
    [InlineData("390.533.447-05", true)]
    [InlineData("39053344705", true)]
    [InlineData("390.533.447-06", false)]
    [InlineData("39053344750", false)]
    [InlineData("111.111.111-11", false)]
    [InlineData("3905334470", false)]
    [InlineData("390533447-05", false)]
    public void A_cpf_is_recognised_only_with_both_check_digits_right(string value, bool expected) =>
        Assert.Equal(expected, PiiDetector.IsCpf(value));

    [Theory]
    [InlineData("11.222.333/0001-81", true)]
    [InlineData("11222333000181", true)]
    [InlineData("12.ABC.345/01DE-35", true)]
    [InlineData("12ABC34501DE35", true)]
    [InlineData("12abc34501de35", true)]
    [InlineData("12.ABC.345/01DE-36", false)]
    [InlineData("11.222.333/0001-82", false)]
    [InlineData("12ABC34501DEAB", false)]
    public void A_cnpj_numeric_or_alphanumeric_is_recognised_only_with_both_check_digits_right(string value, bool expected) =>
        Assert.Equal(expected, PiiDetector.IsCnpj(value));

    [Theory]
    [InlineData("4111 1111 1111 1111", true)]
    [InlineData("5555-5555-5555-4444", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("1111111111111117", false)]
    public void A_card_number_needs_the_luhn_check_and_a_network_prefix(string value, bool expected) =>
        Assert.Equal(expected, PiiDetector.IsCardNumber(value));

    [Theory]
    [InlineData("(11) 98765-4321", true)]
    [InlineData("+55 21 3333-4444", true)]
    [InlineData("11987654321", true)]
    [InlineData("(10) 98765-4321", false)]
    [InlineData("(11) 88765-4321", false)]
    public void A_phone_needs_an_area_code_in_use_and_a_mobile_or_landline_prefix(string value, bool expected) =>
        Assert.Equal(expected, PiiDetector.IsPhone(value));

    [Fact]
    public void Identifiers_given_with_or_without_punctuation_have_one_normal_form()
    {
        Assert.Equal("39053344705", PiiDetector.Normalize(PiiKind.Cpf, " 390.533.447-05 "));
        Assert.Equal("12ABC34501DE35", PiiDetector.Normalize(PiiKind.Cnpj, "12.abc.345/01de-35"));
        Assert.Equal("11987654321", PiiDetector.Normalize(PiiKind.Phone, "+55 (11) 98765-4321"));
        Assert.Equal("ana@example.com", PiiDetector.Normalize(PiiKind.Email, "Ana@Example.COM"));
    }

    [Fact]
    public void A_request_with_a_cpf_whose_check_digits_are_wrong_is_refused_with_what_to_check()
    {
        var error = Assert.Throws<MedallionException>(() => PiiDetector.Normalize(PiiKind.Cpf, "390.533.447-06"));

        Assert.Equal(ErrorCode.SubjectRequestInvalid, error.Code);
        Assert.Equal("'390.533.447-06' is not a valid CPF (its check digits are wrong or it has the wrong length).\nHelp: check the identifier the person gave.", error.Message);
    }

    [Theory]
    [InlineData("SELECT * FROM c WHERE cpf = '390.533.447-05'", "SELECT * FROM c WHERE cpf = '***.533.447-**'")]
    [InlineData("SELECT * FROM c WHERE cpf = 39053344705 AND id = 12345678901", "SELECT * FROM c WHERE cpf = ***.533.447-** AND id = 12345678901")]
    [InlineData("WHERE email ILIKE '%Joana@Example.com%'", "WHERE email ILIKE '%j***@example.com%'")]
    [InlineData("WHERE cnpj IN ('11.222.333/0001-81', '11222333000181')", "WHERE cnpj IN ('**********0181', '**********0181')")]
    [InlineData("card = '4111 1111 1111 1111'", "card = '************1111'")]
    [InlineData("SELECT 2026-11-24, 1234567.89, 'x@y', 40.5", "SELECT 2026-11-24, 1234567.89, 'x@y', 40.5")]
    public void Redact_masks_the_identifiers_typed_into_a_statement_and_keeps_numbers_that_are_not_identifiers(string text, string expected) =>
        Assert.Equal(expected, PiiDetector.Redact(text));
}
