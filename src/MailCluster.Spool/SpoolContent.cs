using System.Buffers;
using MailCluster.Smtp.Server;

namespace MailCluster.Spool;

/// <summary>
/// What the spool stores for one message: octets in memory (the whole message, or the fields a
/// signer puts before it), then optionally a message's content as the session holds it, which is
/// read from its own stream when it went to a file as it arrived. Nothing is copied to make it.
/// </summary>
public readonly struct SpoolContent
{
    public SpoolContent(ReadOnlySequence<byte> head, MessageContent? rest = null)
    {
        Head = head;
        Rest = rest;
    }

    public ReadOnlySequence<byte> Head { get; }

    /// <summary>Stored after <see cref="Head"/>; null when the head is everything.</summary>
    public MessageContent? Rest { get; }

    public long Length => Head.Length + (Rest?.Length ?? 0);

    public static implicit operator SpoolContent(ReadOnlySequence<byte> content) => new(content);

    public static SpoolContent FromReadOnlySequence(ReadOnlySequence<byte> content) => new(content);

    /// <summary>Writes every octet in order to <paramref name="write"/>, a file's content through a 64 KiB buffer.</summary>
    public void CopyTo(Action<ReadOnlySpan<byte>> write)
    {
        foreach (var segment in Head)
        {
            write(segment.Span);
        }
        if (Rest is null)
        {
            return;
        }
        if (Rest.InMemory is { } memory)
        {
            foreach (var segment in memory)
            {
                write(segment.Span);
            }
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var stream = Rest.OpenRead();
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                write(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
