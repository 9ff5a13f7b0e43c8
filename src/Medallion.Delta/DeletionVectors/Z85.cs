using System;

namespace Medallion.Delta.DeletionVectors;

/// <summary>Z85 decoding (https://rfc.zeromq.org/spec/32/), the base85 variant Delta uses for deletion vectors.</summary>
internal static class Z85
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    private static readonly sbyte[] s_decode = BuildDecode();

    private static sbyte[] BuildDecode()
    {
        var table = new sbyte[128];
        Array.Fill(table, (sbyte)-1);
        for (int i = 0; i < Alphabet.Length; i++)
        {
            table[Alphabet[i]] = (sbyte)i;
        }

        return table;
    }

    /// <summary>Decodes text whose length is a multiple of 5 into 4 bytes per 5 characters.</summary>
    /// <exception cref="FormatException">The length is not a multiple of 5 or a character is not in the alphabet.</exception>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        if (text.Length % 5 != 0)
        {
            throw new FormatException($"z85 text must have a length that is a multiple of 5, not {text.Length}");
        }

        byte[] bytes = new byte[text.Length / 5 * 4];
        for (int i = 0, o = 0; i < text.Length; i += 5, o += 4)
        {
            uint value = 0;
            for (int j = 0; j < 5; j++)
            {
                char c = text[i + j];
                int digit = c < 128 ? s_decode[c] : -1;
                if (digit < 0)
                {
                    throw new FormatException($"'{c}' is not a z85 character");
                }

                value = unchecked((value * 85) + (uint)digit);
            }

            bytes[o] = (byte)(value >> 24);
            bytes[o + 1] = (byte)(value >> 16);
            bytes[o + 2] = (byte)(value >> 8);
            bytes[o + 3] = (byte)value;
        }

        return bytes;
    }
}
