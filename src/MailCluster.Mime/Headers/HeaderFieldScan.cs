using System.Text;

namespace MailCluster.Mime.Headers;

/// <summary>
/// <see cref="HeaderFieldScanner"/>'s state between chunks of octets: where it is in the current
/// line and field, and the value of the field being read when it is one of the name.
/// </summary>
internal ref struct HeaderFieldScan
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    private readonly ReadOnlySpan<byte> _name;
    private readonly Span<byte> _value;
    private List<HeaderFieldOccurrence>? _found;
    private State _state;
    private bool _afterCr;
    private int _matched;
    private int _valueLength;
    private bool _inField;
    private long _fieldStart;
    private long _lineStart;
    private long _offset;

    public HeaderFieldScan(ReadOnlySpan<byte> name, Span<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfZero(name.Length);
        _name = name;
        _value = value;
    }

    private enum State
    {
        LineStart,
        EmptyLine,
        Name,
        BeforeColon,
        Value,
        Skip,
        Done,
    }

    /// <summary>The header section has ended: the octets after it are not needed.</summary>
    public readonly bool Done => _state == State.Done;

    public void Feed(ReadOnlySpan<byte> octets)
    {
        var i = 0;
        while (i < octets.Length && _state != State.Done)
        {
            var b = octets[i];
            if (_afterCr)
            {
                _afterCr = false;
                if (b == Lf)
                {
                    LineEnd(_offset + i + 1);
                    i++;
                    continue;
                }
                BareCr();
            }
            if (b == Cr)
            {
                _afterCr = true;
                _state = _state == State.LineStart ? State.EmptyLine : _state;
                i++;
                continue;
            }
            if (_state is State.Skip or State.Value)
            {
                // Most octets: the rest of a line up to its CR, in one step.
                var run = octets[i..].IndexOf(Cr) is var cr and >= 0 ? cr : octets.Length - i;
                if (_state == State.Value)
                {
                    Append(octets.Slice(i, run));
                }
                i += run;
                continue;
            }
            Step(b);
            i++;
        }
        _offset += octets.Length;
    }

    /// <summary>The fields found, once the octets have ended or the header section has; no allocation when there are none.</summary>
    public IReadOnlyList<HeaderFieldOccurrence> Finish()
    {
        if (_state != State.Done)
        {
            // A message without an empty line is all header section: its last field ends with it.
            Close(_state == State.EmptyLine ? _lineStart : _offset);
            _state = State.Done;
        }
        return _found ?? (IReadOnlyList<HeaderFieldOccurrence>)[];
    }

    private void Step(byte b)
    {
        switch (_state)
        {
            case State.LineStart when b is (byte)' ' or (byte)'\t':
                // RFC 5322 2.2.3: a line that starts with white space continues the field before it.
                _state = _inField ? State.Value : State.Skip;
                Append([b]);
                break;
            case State.LineStart:
                Close(_lineStart);
                _matched = 0;
                _state = State.Name;
                Step(b);
                break;
            case State.Name when _matched == _name.Length:
                _state = State.BeforeColon;
                Step(b);
                break;
            case State.Name:
                _state = Lower(b) == Lower(_name[_matched]) ? State.Name : State.Skip;
                _matched++;
                break;
            case State.BeforeColon when b == (byte)':':
                (_inField, _fieldStart, _valueLength, _state) = (true, _lineStart, 0, State.Value);
                break;
            case State.BeforeColon:
                // RFC 5322 4.5.3: white space before the colon; anything else is another name (X-Pool-Other).
                _state = b is (byte)' ' or (byte)'\t' ? State.BeforeColon : State.Skip;
                break;
        }
    }

    /// <summary>CRLF ends a line; at a line's start it is the empty line that ends the header section (RFC 5322 2.1).</summary>
    private void LineEnd(long next)
    {
        if (_state == State.EmptyLine)
        {
            Close(_lineStart);
            _state = State.Done;
            return;
        }
        (_lineStart, _state) = (next, State.LineStart);
    }

    /// <summary>A CR without LF: an octet of its line. One at a line's start begins a line that is no field of the name.</summary>
    private void BareCr()
    {
        if (_state == State.EmptyLine)
        {
            Close(_lineStart);
            _state = State.Skip;
            return;
        }
        if (_state == State.Value)
        {
            Append([Cr]);
        }
        _state = _state is State.Name or State.BeforeColon ? State.Skip : _state;
    }

    private void Append(scoped ReadOnlySpan<byte> octets)
    {
        if (_state != State.Value)
        {
            return;
        }
        var room = Math.Min(octets.Length, _value.Length - _valueLength);
        octets[..room].CopyTo(_value[_valueLength..]);
        _valueLength += room;
    }

    private void Close(long end)
    {
        if (!_inField)
        {
            return;
        }
        _inField = false;
        var value = Encoding.UTF8.GetString(_value[.._valueLength].Trim(" \t"u8));
        (_found ??= []).Add(new HeaderFieldOccurrence(_fieldStart, end, value));
    }

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
}
