using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Security;
using System.Text;
using MailCluster.Testing.IO;

namespace MailCluster.Testing.Smtp;

public sealed partial class ScriptedSmtpPeer
{
    private const int EndlessLineCap = 100_000;

    private PipeReader _reader;
    private PipeWriter _writer;
    private ReadOnlySequence<byte> _buffer;
    private bool _holding;
    private bool _ended;
    private bool _newBatch;

    private async Task RunAsync()
    {
        if (_greeting is { TrickleInterval: { } interval })
        {
            await TrickleAsync("220 mx.test " + new string('x', 400), interval);
            return;
        }
        if (_greeting is not null && !await WriteAsync(Format(_greeting)))
        {
            return;
        }
        while (await ReadLineAsync() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var verb = space < 0 ? line : line[..space];
            if (!await HandleAsync(verb.ToUpperInvariant(), line))
            {
                break;
            }
        }
        await _writer.CompleteAsync();
    }

    /// <summary>Plays one command; false when the peer closes the connection.</summary>
    private async Task<bool> HandleAsync(string verb, string line)
    {
        var step = Next(verb);
        switch (verb)
        {
            case "EHLO" when step.Endless:
                return await EndlessAsync(step);
            case "DATA" when step.Code == 354:
                return await WriteAsync(Format(step)) && await ReplyToContentAsync(await ReadDataAsync());
            case "BDAT":
                var size = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
                var chunk = await ReadExactAsync(size);
                // The reply to the LAST chunk is the message's final reply (OnDot).
                return line.EndsWith(" LAST", StringComparison.OrdinalIgnoreCase) ? await ReplyToContentAsync(chunk) : await WriteAsync(Format(step));
            case "STARTTLS" when step.Code == 220:
                var reply = Format(step).Concat(Encoding.ASCII.GetBytes(step.Inject ?? string.Empty)).ToArray();
                return await WriteAsync(reply) && step.Inject is null && await UpgradeToTlsAsync();
        }
        return await WriteAsync(Format(step)) && !step.Close;
    }

    private async Task<bool> ReplyToContentAsync(byte[]? content)
    {
        if (content is null)
        {
            return false;
        }
        _messages.Add(content);
        _messageReceived.TrySetResult();
        var step = Next(".");
        return !step.Close && await WriteAsync(Format(step));
    }

    private async Task<bool> EndlessAsync(Step step)
    {
        for (var i = 0; i < EndlessLineCap; i++)
        {
            if (!await WriteAsync(Format(step with { Lines = [$"mx.test line {i}"] }, lastSeparator: "-")))
            {
                return false;
            }
        }
        return false;
    }

    private async Task TrickleAsync(string text, TimeSpan interval)
    {
        foreach (var octet in Encoding.ASCII.GetBytes(text))
        {
            if (!await WriteAsync([octet]))
            {
                return;
            }
            await Task.Delay(interval, _time);
        }
    }

    private async Task<bool> UpgradeToTlsAsync()
    {
        if (_holding)
        {
            _reader.AdvanceTo(_buffer.Start);
            _holding = false;
        }
        var tls = new SslStream(new MailCluster.Smtp.PipeDuplexStream(_connection.Server), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate });
        _reader = PipeReader.Create(tls);
        _writer = PipeWriter.Create(tls);
        _buffer = default;
        return true;
    }

    private async Task<bool> WriteAsync(byte[] octets)
    {
        BytesSent += octets.Length;
        var result = await _writer.WriteAsync(octets);
        return !result.IsCompleted;
    }

    private async Task<string?> ReadLineAsync()
    {
        while (true)
        {
            if (_buffer.PositionOf((byte)'\n') is { } lf)
            {
                var line = Encoding.UTF8.GetString(_buffer.Slice(0, lf).ToArray()).TrimEnd('\r');
                _buffer = _buffer.Slice(_buffer.GetPosition(1, lf));
                Record(line);
                return line;
            }
            if (_ended || !await FillAsync())
            {
                return null;
            }
        }
    }

    /// <summary>DATA content up to the "." line: it ends at ".\r\n" at the start, or at "\r\n.\r\n".</summary>
    private async Task<byte[]?> ReadDataAsync()
    {
        while (true)
        {
            var octets = _buffer.ToArray().AsSpan();
            var end = octets.StartsWith(".\r\n"u8) ? 0 : octets.IndexOf("\r\n.\r\n"u8);
            if (end >= 0)
            {
                var contentLength = end == 0 ? 0 : end + 2;
                _buffer = _buffer.Slice(contentLength + 3);
                return octets[..contentLength].ToArray();
            }
            if (_ended || !await FillAsync())
            {
                return null;
            }
        }
    }

    private async Task<byte[]?> ReadExactAsync(int length)
    {
        while (_buffer.Length < length)
        {
            if (_ended || !await FillAsync())
            {
                return null;
            }
        }
        var chunk = _buffer.Slice(0, length).ToArray();
        _buffer = _buffer.Slice(length);
        return chunk;
    }

    /// <summary>Waits for more octets. Whatever is complete in one read is one batch: the client sent it in one go.</summary>
    private async Task<bool> FillAsync()
    {
        if (_holding)
        {
            _reader.AdvanceTo(_buffer.Start, _buffer.End);
        }
        var result = await _reader.ReadAsync();
        _buffer = result.Buffer;
        _holding = true;
        _ended = result.IsCompleted;
        _newBatch = true;
        return !result.Buffer.IsEmpty || !result.IsCompleted;
    }

    private void Record(string line)
    {
        _commands.Add(line);
        if (_newBatch || _batches.Count == 0)
        {
            _batches.Add([]);
            _newBatch = false;
        }
        _batches[^1].Add(line);
    }
}
