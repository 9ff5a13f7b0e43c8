namespace Medallion.TestSupport;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum GCS keeps for every object. Written out here
/// rather than taken from a package so the server checks the client's hashing against an independent implementation.
/// </summary>
internal static class Crc32C
{
    private static readonly uint[] s_table = CreateTable();

    /// <summary>The checksum of <paramref name="data"/>, as GCS shows it: base64 of the four bytes, big-endian.</summary>
    public static string Base64(ReadOnlySpan<byte> data)
    {
        uint crc = Compute(data);
        return Convert.ToBase64String([(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
    }

    /// <summary>The checksum of <paramref name="data"/>; the check value of "123456789" is 0xE3069283.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint entry = i;
            for (int bit = 0; bit < 8; bit++)
            {
                entry = (entry & 1) != 0 ? (entry >> 1) ^ 0x82F63B78 : entry >> 1;
            }

            table[i] = entry;
        }

        return table;
    }
}
