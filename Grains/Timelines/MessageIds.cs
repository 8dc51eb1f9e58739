namespace ChatCluster.Grains.Timelines;

/// <summary>
/// Message ids: ULIDs (48-bit millisecond time, 80 random bits, Crockford base32), sortable by time. The random part only
/// keeps ids apart, it guards nothing (access goes by membership), so it comes from the fast generator, not the OS's.
/// </summary>
internal static class MessageIds
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string New(long unixMilliseconds)
    {
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 5; i >= 0; i--)
        {
            bytes[5 - i] = (byte)(unixMilliseconds >> (8 * i));
        }

        Random.Shared.NextBytes(bytes[6..]);
        Span<char> text = stackalloc char[26];
        // 128 bits as 26 five-bit digits, most significant first (the first digit carries 3 bits).
        var high = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        var low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        var value = new UInt128(high, low);
        for (var i = 25; i >= 0; i--)
        {
            text[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }

        return new string(text);
    }
}
