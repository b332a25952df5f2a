namespace MailCluster.Testing.Fuzz;

/// <summary>
/// Makes inputs from seeds the way coverage-blind fuzzers do: flipped bits, bytes the protocols
/// treat specially, inserted, deleted, repeated and spliced runs. Seeded, so a failure is replayed
/// from its seed and index.
/// </summary>
public sealed class Mutator(IReadOnlyList<byte[]> seeds, Random random)
{
    // CR, LF, NUL, SP, the SMTP punctuation, DEL, a UTF-8 lead byte, and DNS's compression pointer.
    private static readonly byte[] s_special = [(byte)'\r', (byte)'\n', 0, (byte)' ', (byte)'.', (byte)':', (byte)'<', (byte)'>', (byte)'@', (byte)'"', (byte)'\\', (byte)'-', (byte)'=', 0x7F, 0xC3, 0xC0, 0xFF];

    public byte[] Next()
    {
        var input = new List<byte>(seeds[random.Next(seeds.Count)]);
        var mutations = 1 + random.Next(8);
        for (var i = 0; i < mutations; i++)
        {
            Mutate(input);
        }
        return [.. input];
    }

    private void Mutate(List<byte> input)
    {
        var at = input.Count == 0 ? 0 : random.Next(input.Count);
        switch (random.Next(8))
        {
            case 0 when input.Count > 0:
                input[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when input.Count > 0:
                input[at] = s_special[random.Next(s_special.Length)];
                break;
            case 2:
                input.Insert(at, s_special[random.Next(s_special.Length)]);
                break;
            case 3 when input.Count > 0:
                input.RemoveRange(at, Math.Min(input.Count - at, 1 + random.Next(16)));
                break;
            case 4 when input.Count > 0:
                // A run repeated many times: long lines, long labels, deep pointers.
                var run = input.GetRange(at, Math.Min(input.Count - at, 1 + random.Next(8)));
                var times = 1 << random.Next(10);
                for (var t = 0; t < times; t++)
                {
                    input.InsertRange(at, run);
                }
                break;
            case 5:
                var other = seeds[random.Next(seeds.Count)];
                var from = other.Length == 0 ? 0 : random.Next(other.Length);
                input.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                break;
            case 6 when input.Count > 0:
                input.RemoveRange(at, input.Count - at);
                break;
            default:
                input.Insert(at, (byte)random.Next(256));
                break;
        }
    }
}
