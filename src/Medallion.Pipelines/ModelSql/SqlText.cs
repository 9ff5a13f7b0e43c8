using System;
using System.Text;

namespace Medallion.Pipelines.ModelSql;

/// <summary>Maps DuckDB's parser positions (byte offsets into the UTF-8 SQL) to 1-based lines and columns of the model file.</summary>
internal sealed class SqlText
{
    private readonly string _text;
    private readonly byte[] _utf8;

    public SqlText(string filePath, string text)
    {
        FilePath = filePath;
        _text = text;
        _utf8 = Encoding.UTF8.GetBytes(text);
    }

    public string FilePath { get; }

    public SourceLocation LocationOfByte(long byteOffset)
    {
        int offset = (int)Math.Clamp(byteOffset, 0, _utf8.Length);
        return LocationOfChar(Encoding.UTF8.GetCharCount(_utf8, 0, offset));
    }

    public SourceLocation LocationOfChar(int charOffset)
    {
        int line = 1, column = 1;
        for (int i = 0; i < charOffset && i < _text.Length; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return new SourceLocation(FilePath, line, column);
    }

    /// <summary>Where the first SQL token is, after whitespace, <c>--</c> line comments and <c>/* */</c> block comments.</summary>
    public SourceLocation FirstToken()
    {
        int i = 0;
        while (i < _text.Length)
        {
            if (char.IsWhiteSpace(_text[i]))
            {
                i++;
            }
            else if (_text.AsSpan(i).StartsWith("--", StringComparison.Ordinal))
            {
                int end = _text.IndexOf('\n', i);
                i = end < 0 ? _text.Length : end + 1;
            }
            else if (_text.AsSpan(i).StartsWith("/*", StringComparison.Ordinal))
            {
                int end = _text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? _text.Length : end + 2;
            }
            else
            {
                break;
            }
        }

        return LocationOfChar(i);
    }
}
