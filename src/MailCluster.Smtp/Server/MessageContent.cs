using System.Buffers;

namespace MailCluster.Smtp.Server;

/// <summary>
/// One message's content as the session received it: in memory, or in a file once it grew past
/// <see cref="SmtpServerLimits.MaxContentInMemory"/>. Valid until the transaction ends; readers
/// open their own stream over it.
/// </summary>
public sealed class MessageContent
{
    private readonly string? _path;

    private MessageContent(long length, ReadOnlySequence<byte>? inMemory, string? path)
    {
        Length = length;
        InMemory = inMemory;
        _path = path;
    }

    public long Length { get; }

    /// <summary>The content, when it is held in memory; null when it is in a file.</summary>
    public ReadOnlySequence<byte>? InMemory { get; }

    public static MessageContent Of(ReadOnlySequence<byte> content) => new(content.Length, content, null);

    internal static MessageContent InFile(string path, long length) => new(length, null, path);

    /// <summary>A seekable, read-only stream over the content from its first octet.</summary>
    public Stream OpenRead() => InMemory is { } memory
        ? new SequenceStream(memory)
        : new FileStream(_path!, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 64 * 1024 });
}
