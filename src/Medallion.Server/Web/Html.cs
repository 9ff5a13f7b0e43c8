using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Medallion.Server.Web;

/// <summary>Markup the page code wrote itself, inserted as is; every other value is encoded.</summary>
/// <param name="Value">The markup.</param>
internal readonly record struct Markup(string Value)
{
    public static readonly Markup Empty = new(string.Empty);

    public override string ToString() => Value;
}

/// <summary>
/// Builds a page: literal markup as written, every interpolated value HTML-encoded (safe in text and in double-quoted
/// attributes) unless it is <see cref="Markup"/>. Names, descriptions, SQL results and errors come from users, so
/// encoding is what happens when nothing is said.
/// </summary>
internal sealed class HtmlBuilder
{
    /// <summary>Encodes &lt;, &gt;, &amp;, quotes; keeps accented letters readable (the pages are UTF-8).</summary>
    internal static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    internal StringBuilder Builder { get; } = new(8192);

    public HtmlBuilder Add([InterpolatedStringHandlerArgument("")] ref HtmlHandler html) => this;

    public HtmlBuilder Add(Markup markup)
    {
        Builder.Append(markup.Value);
        return this;
    }

    public Markup ToMarkup() => new(Builder.ToString());

    public override string ToString() => Builder.ToString();

    /// <summary>A value encoded for text or a double-quoted attribute.</summary>
    public static string Encode(string? value) => value is null ? string.Empty : Encoder.Encode(value);

    /// <summary>Markup from an interpolation, encoded like <see cref="Add(ref HtmlHandler)"/>.</summary>
    public static Markup Of([InterpolatedStringHandlerArgument] ref HtmlHandler html) => new(html.ToStringAndClear());
}

/// <summary>The interpolation of <see cref="HtmlBuilder"/>: literals raw, holes encoded (invariant culture for numbers; pages format by locale on purpose).</summary>
[InterpolatedStringHandler]
internal ref struct HtmlHandler
{
    private readonly StringBuilder _builder;

    public HtmlHandler(int literalLength, int formattedCount, HtmlBuilder html)
    {
        _ = formattedCount;
        _builder = html.Builder;
        _builder.EnsureCapacity(_builder.Length + literalLength);
    }

    public HtmlHandler(int literalLength, int formattedCount)
    {
        _ = formattedCount;
        _builder = new StringBuilder(literalLength * 2);
    }

    public readonly void AppendLiteral(string value) => _builder.Append(value);

    public readonly void AppendFormatted(Markup value) => _builder.Append(value.Value);

    public readonly void AppendFormatted(string? value) => _builder.Append(HtmlBuilder.Encode(value));

    public readonly void AppendFormatted<T>(T value) =>
        _builder.Append(HtmlBuilder.Encode(value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value?.ToString()));

    internal readonly string ToStringAndClear() => _builder.ToString();
}
