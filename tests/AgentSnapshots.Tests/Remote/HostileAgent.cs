using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Remote;

namespace AgentSnapshots.Tests.Remote;

/// <summary>
/// A test-side workspace agent speaking the protocol to a real silo, so a test can break it on purpose: wrong
/// hashes, truncated objects, oversized frames, trees naming objects never sent, unsafe names.
/// </summary>
public sealed class HostileAgent : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private HostileAgent(ClientWebSocket socket)
    {
        _socket = socket;
        Frames = new FrameConnection(socket);
    }

    public FrameConnection Frames { get; }

    public static async Task<HostileAgent> ConnectAsync(SiloProcess silo, string workspace)
    {
        var before = AgentProcess.Attached(silo, workspace);
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + silo.LocalKey);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{silo.HttpPort}/{Engine.Remote.Frames.AgentPath(workspace)}"), TestContext.Current.CancellationToken);
        await AgentProcess.WaitAttachedAsync(silo, workspace, before);
        return new HostileAgent(socket);
    }

    /// <summary>The command <see cref="ReceiveCommandAsync"/> received last.</summary>
    public AgentCommand? LastCommand { get; private set; }

    public async Task<AgentCommand> ReceiveCommandAsync()
    {
        using var frame = await Frames.ReceiveAsync(FrameKind.Command, TestContext.Current.CancellationToken);
        return LastCommand = FrameConnection.ReadJson(frame, RemoteJson.Default.AgentCommand);
    }

    /// <summary>Offers <paramref name="ids"/> and returns the ids the silo wants.</summary>
    public async Task<List<GitObjectId>> OfferAsync(params GitObjectId[] ids)
    {
        var ct = TestContext.Current.CancellationToken;
        var raw = new byte[ids.Length * GitObjectId.ByteLength];
        for (var i = 0; i < ids.Length; i++) ids[i].WriteTo(raw.AsSpan(i * GitObjectId.ByteLength));
        if (ids.Length > 0) await Frames.SendAsync(FrameKind.Offer, raw, ct);
        await Frames.SendAsync(FrameKind.OfferEnd, ReadOnlyMemory<byte>.Empty, ct);
        var wanted = new List<GitObjectId>();
        while (true)
        {
            using var frame = await Frames.ReceiveAsync(ct);
            if (frame.Kind == FrameKind.WantEnd) return wanted;
            Assert.Equal(FrameKind.Want, frame.Kind);
            for (var at = 0; at < frame.Length; at += GitObjectId.ByteLength) wanted.Add(new GitObjectId(frame.Payload.Span.Slice(at, GitObjectId.ByteLength)));
        }
    }

    /// <summary>Sends objects in one batch frame, each as the given loose-object bytes under the given id.</summary>
    public async Task SendSmallAsync(params (GitObjectId Id, byte[] Loose)[] objects)
    {
        var batch = new MemoryStream();
        foreach (var (id, loose) in objects)
        {
            var raw = new byte[24];
            id.WriteTo(raw);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(20), loose.Length);
            batch.Write(raw);
            batch.Write(loose);
        }
        await Frames.SendAsync(FrameKind.SmallObjects, batch.ToArray(), TestContext.Current.CancellationToken);
    }

    /// <summary>A raw WebSocket message, bypassing the frame checks (an oversized frame).</summary>
    public Task SendRawAsync(byte[] message) =>
        _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, TestContext.Current.CancellationToken);

    public static byte[] Blob(string text) => Encoding.UTF8.GetBytes(text);

    public static GitObjectId IdOf(GitObjectType type, byte[] content) => ObjectStore.HashOf(type, content);

    /// <summary>The loose-object file of an object (zlib of "type size\0content").</summary>
    public static byte[] Loose(GitObjectType type, byte[] content)
    {
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(Encoding.ASCII.GetBytes($"{GitObjectTypes.Name(type)} {content.Length}\0"));
            zlib.Write(content);
        }
        return output.ToArray();
    }

    /// <summary>A tree's content with the given entries, as written (no sorting or checking: a hostile agent's).</summary>
    public static byte[] Tree(params (string Mode, string Name, GitObjectId Id)[] entries)
    {
        var output = new MemoryStream();
        foreach (var (mode, name, id) in entries)
        {
            output.Write(Encoding.UTF8.GetBytes($"{mode} {name}\0"));
            var raw = new byte[20];
            id.WriteTo(raw);
            output.Write(raw);
        }
        return output.ToArray();
    }

    public async ValueTask DisposeAsync() => await Frames.DisposeAsync();
}
