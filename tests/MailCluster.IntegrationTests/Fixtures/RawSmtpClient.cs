using System.Net.Sockets;
using System.Text;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>A bare TCP client for what swaks cannot send (BDAT, cut-off DATA): writes bytes, reads reply lines.</summary>
public sealed class RawSmtpClient : IDisposable
{
    private readonly TcpClient _client = new();
    private StreamReader? _reader;

    public async Task<string> ConnectAsync(int port)
    {
        await _client.ConnectAsync("127.0.0.1", port);
        _reader = new StreamReader(_client.GetStream(), Encoding.ASCII);
        return await ReadReplyAsync();
    }

    public async Task SendAsync(string text) => await _client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>Reads one whole reply (multiline joined by \n); empty when the server closed.</summary>
    public async Task<string> ReadReplyAsync()
    {
        var lines = new List<string>();
        while (await _reader!.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
        {
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                break;
            }
        }
        return string.Join('\n', lines);
    }

    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    public void Dispose() => _client.Dispose();
}
