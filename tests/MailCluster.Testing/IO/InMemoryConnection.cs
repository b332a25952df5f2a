using System.IO.Pipelines;

namespace MailCluster.Testing.IO;

/// <summary>Two pipes joined back to back: what the client writes the server reads, and the other way.</summary>
public sealed class InMemoryConnection
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();

    public InMemoryConnection()
    {
        Server = new DuplexPipe(_toServer.Reader, _toClient.Writer);
        Client = new DuplexPipe(_toClient.Reader, _toServer.Writer);
    }

    /// <summary>The server's end: reads what the client sent.</summary>
    public IDuplexPipe Server { get; }

    /// <summary>The client's end: reads the server's replies.</summary>
    public IDuplexPipe Client { get; }

    /// <summary>The client's end as one Stream, as code that runs on a socket's stream sees it.</summary>
    public Stream ClientStream() => new MailCluster.Smtp.PipeDuplexStream(Client);

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
