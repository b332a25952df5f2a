using System.Buffers;
using System.Security.Cryptography;

namespace MailCluster.Mime.Dkim;

/// <summary>
/// The SHA-256 of a body in RFC 6376 3.4.4's "relaxed" canonical form, computed as the octets go
/// past, in one pass and without a copy of the body: white space at a line's end is dropped, a run
/// of it inside a line becomes one SP, and line ends are held back until content follows them, so
/// that the empty lines at the end are ignored.
/// </summary>
internal sealed class RelaxedBodyHash : IDisposable
{
    private static readonly SearchValues<byte> s_special = SearchValues.Create(" \t\r"u8);
    private static readonly byte[] s_lineEnd = "\r\n"u8.ToArray();

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Canonical octets gathered for the hash: a body's words are short, and each hash call costs a native transition.</summary>
    private readonly byte[] _pending = ArrayPool<byte>.Shared.Rent(8192);

    private int _pendingCount;

    /// <summary>White space seen since the last octet hashed: one SP if more content follows on its line.</summary>
    private bool _whiteSpace;

    /// <summary>A CR that a LF would make a line end.</summary>
    private bool _carriageReturn;

    /// <summary>Line ends not hashed yet: they count only once content follows them.</summary>
    private int _heldLineEnds;

    private bool _anyContent;

    public void Append(ReadOnlySpan<byte> octets)
    {
        while (!octets.IsEmpty)
        {
            if (_carriageReturn)
            {
                _carriageReturn = false;
                if (octets[0] == (byte)'\n')
                {
                    // Rule a: the white space before a line end is dropped with it.
                    _whiteSpace = false;
                    _heldLineEnds++;
                    octets = octets[1..];
                    continue;
                }
                // A CR without its LF is content.
                HashContent("\r"u8);
            }
            var special = octets.IndexOfAny(s_special);
            if (special != 0)
            {
                var run = special < 0 ? octets : octets[..special];
                HashContent(run);
                octets = octets[run.Length..];
                continue;
            }
            if (octets[0] == (byte)'\r')
            {
                _carriageReturn = true;
            }
            else
            {
                _whiteSpace = true;
            }
            octets = octets[1..];
        }
    }

    /// <summary>The hash of everything appended (RFC 6376 3.4.4: an empty body hashes as nothing, any other ends with one CRLF).</summary>
    public byte[] Finish()
    {
        if (_carriageReturn)
        {
            HashContent("\r"u8);
        }
        if (_whiteSpace)
        {
            // A last line without its CRLF keeps one SP for its trailing white space, as dkimpy does.
            HashContent(ReadOnlySpan<byte>.Empty);
        }
        if (_anyContent)
        {
            Hash(s_lineEnd);
        }
        _hash.AppendData(_pending, 0, _pendingCount);
        _pendingCount = 0;
        return _hash.GetHashAndReset();
    }

    public void Dispose()
    {
        _hash.Dispose();
        ArrayPool<byte>.Shared.Return(_pending);
    }

    /// <summary>Hashes the held line ends, one SP for held white space, then <paramref name="content"/>.</summary>
    private void HashContent(ReadOnlySpan<byte> content)
    {
        for (; _heldLineEnds > 0; _heldLineEnds--)
        {
            Hash(s_lineEnd);
        }
        if (_whiteSpace)
        {
            Hash(" "u8);
            _whiteSpace = false;
        }
        Hash(content);
        _anyContent = true;
    }

    private void Hash(ReadOnlySpan<byte> octets)
    {
        if (_pendingCount + octets.Length > _pending.Length)
        {
            _hash.AppendData(_pending, 0, _pendingCount);
            _pendingCount = 0;
            if (octets.Length > _pending.Length)
            {
                _hash.AppendData(octets);
                return;
            }
        }
        octets.CopyTo(_pending.AsSpan(_pendingCount));
        _pendingCount += octets.Length;
    }
}
