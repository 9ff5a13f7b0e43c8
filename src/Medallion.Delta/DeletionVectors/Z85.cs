using System;

namespace Medallion.Delta.DeletionVectors;

/// <summary>Z85 encoding and decoding (https://rfc.zeromq.org/spec/32/), the base85 variant Delta uses for deletion vectors.</summary>
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

    /// <summary>
    /// Encodes bytes as 5 characters per 4 bytes; a tail shorter than 4 bytes is padded with zero bytes (an inline
    /// deletion vector's <c>sizeInBytes</c> tells readers where the real bytes end, as in Delta Spark's <c>Base85Codec</c>).
    /// </summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        int blocks = (bytes.Length + 3) / 4;
        var text = new char[blocks * 5];
        Span<byte> block = stackalloc byte[4];
        for (int b = 0; b < blocks; b++)
        {
            block.Clear();
            ReadOnlySpan<byte> source = bytes[(b * 4)..Math.Min(bytes.Length, (b * 4) + 4)];
            source.CopyTo(block);
            uint value = ((uint)block[0] << 24) | ((uint)block[1] << 16) | ((uint)block[2] << 8) | block[3];
            for (int j = 4; j >= 0; j--)
            {
                text[(b * 5) + j] = Alphabet[(int)(value % 85)];
                value /= 85;
            }
        }

        return new string(text);
    }

    /// <summary>
    /// Decodes text whose length is a multiple of 5 into 4 bytes per 5 characters. A last block that starts with
    /// <c>#</c> holds fewer bytes: some writers encode a tail of n (1 to 3) bytes as 4 - n <c>#</c> characters followed by
    /// the n bytes as a big-endian base-85 number (e.g. <c>##093</c> is the two bytes 03 00). Strict z85 never starts a
    /// block with <c>#</c> (its value would exceed 32 bits), so the two readings cannot be confused.
    /// </summary>
    /// <exception cref="FormatException">The length is not a multiple of 5 or a character is not in the alphabet.</exception>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        if (text.Length % 5 != 0)
        {
            throw new FormatException($"z85 text must have a length that is a multiple of 5, not {text.Length}");
        }

        int padding = 0;
        if (text.Length > 0)
        {
            ReadOnlySpan<char> last = text[^5..];
            while (padding < 3 && last[padding] == '#')
            {
                padding++;
            }
        }

        byte[] bytes = new byte[(text.Length / 5 * 4) - padding];
        for (int i = 0, o = 0; i < text.Length; i += 5, o += 4)
        {
            bool paddedBlock = padding > 0 && i == text.Length - 5;
            uint value = 0;
            for (int j = paddedBlock ? padding : 0; j < 5; j++)
            {
                char c = text[i + j];
                int digit = c < 128 ? s_decode[c] : -1;
                if (digit < 0)
                {
                    throw new FormatException($"'{c}' is not a z85 character");
                }

                value = unchecked((value * 85) + (uint)digit);
            }

            if (paddedBlock)
            {
                // The tail bytes are the low bytes of the number, most significant first.
                for (int k = 0; k < 4 - padding; k++)
                {
                    bytes[o + k] = (byte)(value >> (8 * (4 - padding - 1 - k)));
                }

                break;
            }

            bytes[o] = (byte)(value >> 24);
            bytes[o + 1] = (byte)(value >> 16);
            bytes[o + 2] = (byte)(value >> 8);
            bytes[o + 3] = (byte)value;
        }

        return bytes;
    }
}
