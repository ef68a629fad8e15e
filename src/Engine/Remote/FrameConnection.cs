using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;

namespace AgentSnapshots.Engine.Remote;

/// <summary>
/// Frames over one WebSocket, for either side. A reader task takes whole messages off the socket into a short
/// queue (at most <see cref="QueuedFrames"/> frames, so at most a few MiB wait in memory; the socket is not read
/// further until they are taken); a message larger than a frame may be closes the connection. Sends are serialised.
/// </summary>
public sealed class FrameConnection : IAsyncDisposable
{
    private const int QueuedFrames = 4;

    /// <summary>Payloads up to this size are copied behind their kind byte and sent as one WebSocket frame.</summary>
    private const int CopiedPayloadBytes = 64 * 1024;

    private readonly WebSocket _socket;
    private readonly Channel<Frame> _incoming = Channel.CreateBounded<Frame>(new BoundedChannelOptions(QueuedFrames) { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly byte[] _sendBuffer = new byte[CopiedPayloadBytes + 1];
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reader;

    public FrameConnection(WebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Completes when the connection is gone (closed by either side, broken, or a protocol error).</summary>
    public Task Closed => _reader;

    /// <summary>Why the connection ended, when it ended by a fault (an oversized frame, a broken socket).</summary>
    public string? CloseReason { get; private set; }

    public async ValueTask SendAsync(FrameKind kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > Frames.MaxPayloadBytes) throw new ArgumentOutOfRangeException(nameof(payload), "a frame's payload is at most 1 MiB");
        await _sending.WaitAsync(cancellationToken);
        try
        {
            _sendBuffer[0] = (byte)kind;
            if (payload.Length <= CopiedPayloadBytes)
            {
                payload.Span.CopyTo(_sendBuffer.AsSpan(1));
                await _socket.SendAsync(_sendBuffer.AsMemory(0, payload.Length + 1), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            }
            else
            {
                // A large payload is not copied behind its kind byte: the message goes in two WebSocket frames.
                await _socket.SendAsync(_sendBuffer.AsMemory(0, 1), WebSocketMessageType.Binary, endOfMessage: false, cancellationToken);
                await _socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException or IOException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // A send on a socket the reader found broken (and aborted) ends in OperationCanceledException though nobody
            // cancelled: that is a lost connection too, not a request to stop the process.
            throw new RemoteProtocolException($"the connection closed while sending ({CloseReason ?? e.Message})", e);
        }
        finally
        {
            _sending.Release();
        }
    }

    public ValueTask SendJsonAsync<T>(FrameKind kind, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        SendAsync(kind, JsonSerializer.SerializeToUtf8Bytes(value, type), cancellationToken);

    /// <summary>The next frame; <see cref="RemoteProtocolException"/> if the connection ended first.</summary>
    public async ValueTask<Frame> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _incoming.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new RemoteProtocolException($"the connection closed ({CloseReason ?? "by the other side"})");
        }
    }

    /// <summary>The next frame, which must be of <paramref name="kind"/> (a <see cref="FrameKind.Failed"/> one is the other side's error).</summary>
    public async ValueTask<Frame> ReceiveAsync(FrameKind kind, CancellationToken cancellationToken)
    {
        var frame = await ReceiveAsync(cancellationToken);
        if (frame.Kind == kind) return frame;
        using (frame)
        {
            throw Unexpected(frame, kind.ToString());
        }
    }

    public static T ReadJson<T>(Frame frame, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(frame.Payload.Span, type) ?? throw new RemoteProtocolException($"a {frame.Kind} frame holds null");
        }
        catch (JsonException e)
        {
            throw new RemoteProtocolException($"a {frame.Kind} frame is not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The error for a frame of the wrong kind: the other side's failure when it sent one.</summary>
    public static RemoteProtocolException Unexpected(Frame frame, string expected) =>
        frame.Kind == FrameKind.Failed && ReadJson(frame, RemoteJson.Default.AgentFailure) is var failure
            ? new RemoteProtocolException(failure.Message) { Code = failure.Code, Reported = true }
            : new RemoteProtocolException($"expected {expected}, received a {frame.Kind} frame");

    /// <summary>Closes the connection, telling the other side why.</summary>
    public Task CloseAsync(WebSocketCloseStatus status, string reason) => CloseAsync(status, reason, waitForPeer: true);

    /// <param name="waitForPeer">
    /// Whether to let the other side close its end first (at most 2 s): a socket dropped right after the close frame
    /// may reset the connection, and a reset discards the frame unread, so the other side would not learn why (an
    /// agent told "replaced" stops; one that only sees a reset reconnects and replaces the newer agent in turn).
    /// </param>
    private async Task CloseAsync(WebSocketCloseStatus status, string reason, bool waitForPeer)
    {
        CloseReason ??= reason;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(status, reason.Length > 120 ? reason[..120] : reason, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        if (waitForPeer) await Task.WhenAny(_reader, Task.Delay(TimeSpan.FromSeconds(2)));
        _closing.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _socket.Abort();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        while (_incoming.Reader.TryRead(out var frame)) frame.Dispose();
        _socket.Dispose();
        _closing.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(Frames.MaxPayloadBytes + 1);
                try
                {
                    var length = 0;
                    while (true)
                    {
                        if (length == Frames.MaxPayloadBytes + 1)
                        {
                            CloseReason = $"a message larger than {Frames.MaxPayloadBytes + 1} bytes (the frame limit) was refused";
                            await CloseAsync(WebSocketCloseStatus.MessageTooBig, CloseReason, waitForPeer: false);
                            return;
                        }
                        var received = await _socket.ReceiveAsync(buffer.AsMemory(length, Frames.MaxPayloadBytes + 1 - length), _closing.Token);
                        if (received.MessageType == WebSocketMessageType.Close)
                        {
                            CloseReason ??= _socket.CloseStatusDescription is { Length: > 0 } why ? why : "closed by the other side";
                            return;
                        }
                        length += received.Count;
                        if (received.EndOfMessage) break;
                    }
                    if (length == 0 || !Enum.IsDefined((FrameKind)buffer[0]))
                    {
                        CloseReason = "a frame of an unknown kind was refused";
                        await CloseAsync(WebSocketCloseStatus.ProtocolError, CloseReason, waitForPeer: false);
                        return;
                    }
                    var frame = new Frame((FrameKind)buffer[0], buffer, length - 1);
                    buffer = null;
                    try
                    {
                        await _incoming.Writer.WriteAsync(frame, _closing.Token);
                    }
                    catch
                    {
                        frame.Dispose();
                        throw;
                    }
                }
                finally
                {
                    if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            CloseReason ??= e is OperationCanceledException ? "closed" : e.Message;
        }
        finally
        {
            _incoming.Writer.TryComplete();
        }
    }
}
