using System.Buffers;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// A growable char buffer that starts on the stack, so that looking up an existing series by its
/// rendered labels (or sanitizing a name) allocates nothing on the recording hot path.
/// </summary>
internal ref struct CharBuffer
{
    private char[]? _rented;
    private Span<char> _chars;
    private int _length;

    public CharBuffer(Span<char> initial)
    {
        _chars = initial;
    }

    public readonly ReadOnlySpan<char> Written => _chars[.._length];

    public void Append(char c)
    {
        Ensure(1);
        _chars[_length++] = c;
    }

    public void Append(ReadOnlySpan<char> text)
    {
        Ensure(text.Length);
        text.CopyTo(_chars[_length..]);
        _length += text.Length;
    }

    /// <summary>Where a formatter may write; call <see cref="Advance"/> with what it wrote.</summary>
    public Span<char> Free(int atLeast)
    {
        Ensure(atLeast);
        return _chars[_length..];
    }

    public void Advance(int count) => _length += count;

    public void Clear() => _length = 0;

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
        }
    }

    private void Ensure(int more)
    {
        if (_length + more <= _chars.Length)
        {
            return;
        }
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + more));
        Written.CopyTo(bigger);
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
        }
        _rented = bigger;
        _chars = bigger;
    }
}
