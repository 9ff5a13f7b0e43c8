using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Medallion.Pipelines.Privacy;

/// <summary>
/// Recognises Brazilian personal identifiers in text and brings them to one normal form, so that
/// <c>390.533.447-05</c> and <c>39053344705</c> are the same CPF. Check digits are verified wherever the identifier has
/// them (CPF, CNPJ, card numbers), so random digits are not taken for identifiers.
/// </summary>
public static partial class PiiDetector
{
    // Area codes (DDD) in use in Brazil (Anatel); none contains a 0.
    private static readonly FrozenSet<int> s_areaCodes = new[]
    {
        11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48, 49,
        51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89,
        91, 92, 93, 94, 95, 96, 97, 98, 99,
    }.ToFrozenSet();

    /// <summary>Every kind, in the order a tie between two kinds is settled (the stricter check first).</summary>
    public static IReadOnlyList<PiiKind> Kinds { get; } = [PiiKind.Cpf, PiiKind.Cnpj, PiiKind.CardNumber, PiiKind.Email, PiiKind.Phone, PiiKind.Cep];

    /// <summary>Whether <paramref name="value"/> is an identifier of <paramref name="kind"/> (check digits included).</summary>
    public static bool Matches(PiiKind kind, string value) => kind switch
    {
        PiiKind.Cpf => IsCpf(value),
        PiiKind.Cnpj => IsCnpj(value),
        PiiKind.Email => IsEmail(value),
        PiiKind.Phone => IsPhone(value),
        PiiKind.Cep => IsCep(value),
        PiiKind.CardNumber => IsCardNumber(value),
        _ => false,
    };

    /// <summary>A CPF: 11 digits (or <c>000.000.000-00</c>), not all the same, with both check digits right.</summary>
    public static bool IsCpf(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string trimmed = value.Trim();
        if (!CpfShape().IsMatch(trimmed))
        {
            return false;
        }

        string digits = Digits(trimmed);
        if (AllSame(digits))
        {
            return false;
        }

        return CpfCheckDigit(digits, 9) == digits[9] - '0' && CpfCheckDigit(digits, 10) == digits[10] - '0';
    }

    /// <summary>
    /// A CNPJ: 12 characters of digits or capital letters, then 2 numeric check digits, bare or as
    /// <c>00.000.000/0000-00</c>. Each character counts as its ASCII code minus 48 (so digits keep their value and
    /// <c>A</c> is 17), which is the rule of the alphanumeric CNPJ (Receita Federal, IN RFB 2.229/2024) and gives the
    /// classic rule for numeric ones.
    /// </summary>
    public static bool IsCnpj(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string trimmed = value.Trim().ToUpperInvariant();
        if (!CnpjShape().IsMatch(trimmed))
        {
            return false;
        }

        string chars = NormalizeCnpj(trimmed);
        if (AllSame(chars))
        {
            return false;
        }

        return CnpjCheckDigit(chars, 12) == chars[12] - '0' && CnpjCheckDigit(chars, 13) == chars[13] - '0';
    }

    /// <summary>An e-mail address: one <c>@</c>, no spaces, a domain with a dot and a top-level name of letters.</summary>
    public static bool IsEmail(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return EmailShape().IsMatch(value.Trim());
    }

    /// <summary>
    /// A Brazilian phone number: optional <c>+55</c>, an area code in use, then 9 digits starting with 9 (mobile) or 8
    /// starting with 2 to 5 (landline); punctuation as people write it (<c>(11) 98765-4321</c>).
    /// </summary>
    public static bool IsPhone(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string trimmed = value.Trim();
        if (!PhoneShape().IsMatch(trimmed))
        {
            return false;
        }

        return NormalizePhone(trimmed) is { } digits && s_areaCodes.Contains((digits[0] - '0') * 10 + (digits[1] - '0'))
            && (digits.Length == 11 ? digits[2] == '9' : digits[2] is >= '2' and <= '5');
    }

    /// <summary>A CEP: <c>00000-000</c> or 8 digits, not all zeros.</summary>
    public static bool IsCep(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string trimmed = value.Trim();
        return CepShape().IsMatch(trimmed) && Digits(trimmed) != "00000000";
    }

    /// <summary>A payment card number: 13 to 19 digits (groups split by spaces or dashes), a card network's first digit (2 to 6), Luhn check right.</summary>
    public static bool IsCardNumber(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string trimmed = value.Trim();
        if (!CardShape().IsMatch(trimmed))
        {
            return false;
        }

        string digits = Digits(trimmed);
        if (digits.Length is < 13 or > 19 || digits[0] is < '2' or > '6' || AllSame(digits))
        {
            return false;
        }

        int sum = 0;
        for (int i = 0; i < digits.Length; i++)
        {
            int d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    /// <summary>
    /// The normal form of an identifier, as <see cref="NormalizedSql"/> computes it in DuckDB: CPF and card digits, CNPJ
    /// capital letters and digits, a lower-cased e-mail, phone digits without <c>+55</c>, CEP digits.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.SubjectRequestInvalid"/> when <paramref name="value"/> is not an identifier of <paramref name="kind"/>.</exception>
    public static string Normalize(PiiKind kind, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!Matches(kind, value))
        {
            throw new MedallionException(ErrorCode.SubjectRequestInvalid,
                $"'{value}' is not a valid {Describe(kind)}{(kind is PiiKind.Cpf or PiiKind.Cnpj or PiiKind.CardNumber ? " (its check digits are wrong or it has the wrong length)" : string.Empty)}.\nHelp: check the identifier the person gave.");
        }

        string trimmed = value.Trim();
        return kind switch
        {
            PiiKind.Cnpj => NormalizeCnpj(trimmed.ToUpperInvariant()),
            PiiKind.Email => trimmed.ToLowerInvariant(),
            PiiKind.Phone => NormalizePhone(trimmed)!,
            _ => Digits(trimmed),
        };
    }

    /// <summary>
    /// A DuckDB expression giving the normal form of <paramref name="column"/> (any type, cast to text) for comparison
    /// with <see cref="Normalize"/>: a CPF stored as a number gets its leading zeros back, a phone loses <c>+55</c>.
    /// </summary>
    public static string NormalizedSql(PiiKind kind, string column)
    {
        string text = $"CAST({column} AS VARCHAR)";
        string digits = $"regexp_replace({text}, '[^0-9]', '', 'g')";
        return kind switch
        {
            PiiKind.Cpf => $"lpad({digits}, 11, '0')",
            PiiKind.Cnpj => $"lpad(upper(regexp_replace({text}, '[^0-9A-Za-z]', '', 'g')), 14, '0')",
            PiiKind.Email => $"lower(trim({text}))",
            PiiKind.Phone => $"CASE WHEN length({digits}) IN (12, 13) AND starts_with({digits}, '55') THEN substr({digits}, 3) ELSE {digits} END",
            _ => digits,
        };
    }

    /// <summary>How people call the kind, for messages: "CPF", "e-mail address".</summary>
    public static string Describe(PiiKind kind) => kind switch
    {
        PiiKind.Cpf => "CPF",
        PiiKind.Cnpj => "CNPJ",
        PiiKind.Email => "e-mail address",
        PiiKind.Phone => "Brazilian phone number",
        PiiKind.Cep => "CEP",
        PiiKind.CardNumber => "card number",
        _ => kind.ToString(),
    };

    /// <summary>The kind's name in project files, CLI options and JSON: <c>cpf</c>, <c>card_number</c>.</summary>
    public static string Name(PiiKind kind) => kind == PiiKind.CardNumber ? "card_number" : kind.ToString().ToLowerInvariant();

    /// <summary>
    /// The identifier with most of it hidden, for reports that must say whom they are about without holding the
    /// identifier: <c>***.533.447-**</c>, <c>j***@example.com</c>.
    /// </summary>
    public static string Mask(PiiKind kind, string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        int at = normalized.IndexOf('@', StringComparison.Ordinal);
        switch (kind)
        {
            case PiiKind.Cpf when normalized.Length == 11:
                return "***." + normalized[3..6] + "." + normalized[6..9] + "-**";
            case PiiKind.Email when at > 0:
                return normalized[0] + "***" + normalized[at..];
            default:
                var masked = new StringBuilder(normalized.Length);
                for (int i = 0; i < normalized.Length; i++)
                {
                    masked.Append(i < normalized.Length - 4 ? '*' : normalized[i]);
                }

                return masked.ToString();
        }
    }

    /// <summary>
    /// <paramref name="text"/> (a statement, an error message) with every CPF, CNPJ, e-mail address and payment card
    /// number in it masked as <see cref="Mask"/> does, so a record that must keep the text (the audit) does not keep the
    /// identifiers people typed into it. Numbers are masked only when their check digits hold, so ids and amounts stay.
    /// </summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return IdentifierCandidate().Replace(text, match =>
        {
            string value = match.Value;
            foreach (PiiKind kind in (ReadOnlySpan<PiiKind>)[PiiKind.Email, PiiKind.Cpf, PiiKind.Cnpj, PiiKind.CardNumber])
            {
                if (Matches(kind, value))
                {
                    return Mask(kind, Normalize(kind, value));
                }
            }

            return value;
        });
    }

    private static int CpfCheckDigit(string digits, int count)
    {
        int sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += (digits[i] - '0') * (count + 1 - i);
        }

        return sum * 10 % 11 % 10;
    }

    private static int CnpjCheckDigit(string chars, int count)
    {
        // Weights 2..9 from the right, restarting after 9: 5,4,3,2,9,...,2 for the first digit, 6,5,...,2 for the second.
        int sum = 0;
        for (int i = 0; i < count; i++)
        {
            int weight = (count - 1 - i) % 8 + 2;
            sum += (chars[i] - 48) * weight;
        }

        int rest = sum % 11;
        return rest < 2 ? 0 : 11 - rest;
    }

    private static string? NormalizePhone(string value)
    {
        string digits = Digits(value);
        if (digits.Length is 12 or 13 && digits.StartsWith("55", StringComparison.Ordinal))
        {
            digits = digits[2..];
        }

        return digits.Length is 10 or 11 ? digits : null;
    }

    private static string NormalizeCnpj(string upper)
    {
        var chars = new StringBuilder(14);
        foreach (char c in upper)
        {
            if (c is (>= '0' and <= '9') or (>= 'A' and <= 'Z'))
            {
                chars.Append(c);
            }
        }

        return chars.ToString();
    }

    private static string Digits(string value)
    {
        var digits = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            if (c is >= '0' and <= '9')
            {
                digits.Append(c);
            }
        }

        return digits.ToString();
    }

    private static bool AllSame(string chars)
    {
        for (int i = 1; i < chars.Length; i++)
        {
            if (chars[i] != chars[0])
            {
                return false;
            }
        }

        return true;
    }

    // What may be an identifier inside free text: an e-mail address, a formatted CPF or CNPJ, or a run of digits (with
    // the spaces or dashes cards are written with) not touching other digits or letters; Redact checks each.
    [GeneratedRegex(@"[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|(?<![0-9A-Za-z])(?:\d{3}\.\d{3}\.\d{3}-\d{2}|[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-\d{2}|\d(?:[ -]?\d){10,18})(?![0-9A-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierCandidate();

    [GeneratedRegex(@"^(\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex CpfShape();

    [GeneratedRegex(@"^([0-9A-Z]{12}\d{2}|[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex CnpjShape();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailShape();

    [GeneratedRegex(@"^(\+?55[ -]?)?(\(?\d{2}\)?[ -]?)\d{4,5}[ -]?\d{4}$", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneShape();

    [GeneratedRegex(@"^\d{5}-?\d{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex CepShape();

    [GeneratedRegex(@"^\d{4}([ -]?\d{1,4}){2,4}$", RegexOptions.CultureInvariant)]
    private static partial Regex CardShape();
}
