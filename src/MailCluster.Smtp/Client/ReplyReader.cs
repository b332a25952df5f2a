using System.IO.Pipelines;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

/// <summary>Reads bounded replies from the peer's side of the connection (see <see cref="ReplyParser"/>).</summary>
internal sealed class ReplyReader
{
    private readonly PipeReader _input;
    private readonly SmtpClientOptions _options;

    public ReplyReader(PipeReader input, SmtpClientOptions options)
    {
        _input = input;
        _options = options;
    }

    public async ValueTask<SmtpReply> ReadAsync(CancellationToken cancellationToken)
    {
        var parser = new ReplyParser(_options);
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var done = parser.TryParse(ref buffer, out var reply);
            // Consume whole lines; mark the partial line examined so the next read waits for more bytes.
            _input.AdvanceTo(buffer.Start, done ? buffer.Start : buffer.End);
            if (done)
            {
                return reply;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new SmtpProtocolException(SmtpProtocolFault.ConnectionClosed, "Peer closed the connection before its reply was complete");
            }
        }
    }

    /// <summary>True when the peer has sent bytes that no reply read has consumed yet.</summary>
    public bool HasUnreadInput()
    {
        if (!_input.TryRead(out var result))
        {
            return false;
        }
        _input.AdvanceTo(result.Buffer.Start);
        return !result.Buffer.IsEmpty;
    }
}
