namespace Medallion.Pipelines.Privacy;

/// <summary>A kind of personal identifier that <see cref="PiiDetector"/> recognises in text values.</summary>
public enum PiiKind
{
    /// <summary>CPF (Brazilian taxpayer id of a person): 11 digits, with or without punctuation, both check digits right.</summary>
    Cpf,
    /// <summary>CNPJ (company id): 14 characters, numeric or alphanumeric (Receita Federal, from July 2026), both check digits right.</summary>
    Cnpj,
    /// <summary>An e-mail address.</summary>
    Email,
    /// <summary>A Brazilian phone number: area code (DDD) and 8 or 9 digits, optionally with +55.</summary>
    Phone,
    /// <summary>A CEP (postal code): 8 digits, usually written 00000-000.</summary>
    Cep,
    /// <summary>A payment card number: 13 to 19 digits passing the Luhn check.</summary>
    CardNumber,
}
