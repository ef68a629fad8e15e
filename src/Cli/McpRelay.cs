using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AgentSnapshots.Cli;

/// <summary>
/// <c>agentsnapshots mcp</c>: MCP over stdio for clients that start servers as processes, relayed to the silo's
/// <c>/mcp</c> (streamable HTTP, stateless), so the tools are defined once, in the silo. Each JSON-RPC message read
/// from stdin (one per line) is POSTed with the key; each message of the reply (a JSON body or the events of an SSE
/// stream) is written to stdout as one line. Messages are relayed concurrently (a slow restore does not hold up a
/// ping); <c>notifications/cancelled</c> cancels the relayed request, which cancels the operation in the silo. A request
/// the silo refuses (a wrong key) or that cannot reach it is answered with a JSON-RPC error carrying the reason, and
/// the reason goes to stderr too.
/// </summary>
internal sealed class McpRelay(HttpClient http, IReadOnlyList<Uri> servers, ApiKey key, Stream stdout, TextWriter stderr) : IDisposable
{
    /// <summary>JSON-RPC's code for an error of the server's own (the implementation-defined range).</summary>
    private const int RelayErrorCode = -32000;
    private const int ParseErrorCode = -32700;

    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    private string? _protocolVersion;

    public void Dispose() => _writing.Dispose();

    /// <summary>Relays until stdin ends, then waits for the replies still coming.</summary>
    public async Task RunAsync(TextReader stdin, CancellationToken ct)
    {
        var relayed = new List<Task>();
        while (await stdin.ReadLineAsync(ct) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            JsonRpcMessage message;
            try
            {
                message = JsonRpcMessage.Read(line);
            }
            catch (JsonException e)
            {
                await WriteErrorAsync(null, ParseErrorCode, $"agentsnapshots mcp: a line of stdin is not a JSON-RPC message ({SiloApi.FirstLine(e.Message)}): send one JSON object per line.");
                continue;
            }
            if (message.Method == "notifications/cancelled")
            {
                if (message.CancelledRequestId is { } cancelled && _inFlight.TryGetValue(cancelled, out var source))
                {
                    await source.CancelAsync();
                }
                continue;
            }
            relayed.Add(RelayAsync(line, message, ct));
            relayed.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(relayed);
    }

    private async Task RelayAsync(string line, JsonRpcMessage message, CancellationToken ct)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (message.IdKey is { } idKey)
        {
            _inFlight[idKey] = cancel;
        }
        try
        {
            await SendAsync(line, message, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Cancelled by the client (no reply is due) or by the end of the process.
        }
        catch (RelayFailure e)
        {
            await stderr.WriteLineAsync($"agentsnapshots mcp: {e.Message}");
            await WriteErrorAsync(message.Id, RelayErrorCode, e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            var text = $"the silo stopped answering ({SiloApi.Reason(e)}); the operation may or may not have run: the history tool shows what the session holds.";
            await stderr.WriteLineAsync($"agentsnapshots mcp: {text}");
            await WriteErrorAsync(message.Id, RelayErrorCode, text);
        }
        finally
        {
            if (message.IdKey is { } id)
            {
                _inFlight.TryRemove(id, out _);
            }
        }
    }

    private async Task SendAsync(string line, JsonRpcMessage message, CancellationToken ct)
    {
        var unreachable = new List<string>();
        foreach (var server in servers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "mcp"))
            {
                Content = new StringContent(line, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Value);
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (_protocolVersion is { } version)
            {
                request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", version);
            }
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (Exception e) when (SiloApi.NeverConnected(e, ct))
            {
                unreachable.Add($"{ServerAddresses.Shown(server)} ({SiloApi.Reason(e)})");
                continue;
            }
            using (response)
            {
                await ReadReplyAsync(response, server, message, ct);
                return;
            }
        }
        throw new RelayFailure($"no silo answers at {string.Join(", ", unreachable)}; start one, or pass --server URL (the silo's Http:Port).");
    }

    private async Task ReadReplyAsync(HttpResponseMessage response, Uri server, JsonRpcMessage message, CancellationToken ct)
    {
        if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NoContent)
        {
            return; // A notification or a response: nothing comes back.
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (!response.IsSuccessStatusCode)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            throw new RelayFailure(Refusal(response, server, bytes, mediaType));
        }
        if (mediaType == "text/event-stream")
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(ct) is { } eventLine)
            {
                if (eventLine.Length == 0)
                {
                    await WriteEventAsync(data, message);
                }
                else if (eventLine.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Append(data.Length > 0 ? "\n" : "").Append(eventLine.AsSpan(eventLine.StartsWith("data: ", StringComparison.Ordinal) ? 6 : 5));
                }
            }
            await WriteEventAsync(data, message);
            return;
        }
        if (mediaType == "application/json")
        {
            await WriteMessageAsync(await response.Content.ReadAsStringAsync(ct), message);
            return;
        }
        throw new RelayFailure($"the server at {ServerAddresses.Shown(server)} answered {(int)response.StatusCode} ({mediaType ?? "no content type"}), not as an AgentSnapshots silo's /mcp does: is --server a silo's HTTP address?");
    }

    private async Task WriteEventAsync(StringBuilder data, JsonRpcMessage message)
    {
        if (data.Length > 0)
        {
            await WriteMessageAsync(data.ToString(), message);
            data.Clear();
        }
    }

    /// <summary>Writes one reply message as one line (re-written compactly if it spans lines), noting the protocol version initialize agreed.</summary>
    private async Task WriteMessageAsync(string json, JsonRpcMessage message)
    {
        byte[] line;
        using (var document = JsonDocument.Parse(json))
        {
            if (message.Method == "initialize" && document.RootElement.TryGetProperty("result", out var result)
                && result.ValueKind == JsonValueKind.Object && result.TryGetProperty("protocolVersion", out var version) && version.ValueKind == JsonValueKind.String)
            {
                _protocolVersion = version.GetString();
            }
            if (json.Contains('\n', StringComparison.Ordinal) || json.Contains('\r', StringComparison.Ordinal))
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    document.WriteTo(writer);
                }
                line = buffer.ToArray();
            }
            else
            {
                line = Encoding.UTF8.GetBytes(json);
            }
        }
        await WriteLineAsync(line);
    }

    /// <summary>A JSON-RPC error reply to the request with <paramref name="id"/> (none is due to a notification).</summary>
    private async Task WriteErrorAsync(JsonElement? id, int code, string text)
    {
        if (id is null && code != ParseErrorCode)
        {
            return;
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            if (id is { } value)
            {
                value.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }
            writer.WriteStartObject("error");
            writer.WriteNumber("code", code);
            writer.WriteString("message", text);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        await WriteLineAsync(buffer.ToArray());
    }

    private async Task WriteLineAsync(byte[] line)
    {
        await _writing.WaitAsync();
        try
        {
            await stdout.WriteAsync(line);
            stdout.WriteByte((byte)'\n');
            await stdout.FlushAsync();
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>What a refusal of the silo says: its problem's code and detail (a wrong key: where the key came from).</summary>
    private string Refusal(HttpResponseMessage response, Uri server, byte[] body, string? mediaType)
    {
        ApiProblem? problem = null;
        if (mediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = JsonSerializer.Deserialize(body, CliJson.Compact.ApiProblem);
            }
            catch (JsonException)
            {
            }
        }
        var status = (int)response.StatusCode;
        if (problem is not { Code: { } code, Detail: { } detail })
        {
            return $"the server at {ServerAddresses.Shown(server)} answered {status} {response.ReasonPhrase} to the MCP request: is --server an AgentSnapshots silo's HTTP address?";
        }
        return status == 401
            ? $"the silo at {ServerAddresses.Shown(server)} refused the key from {key.Source} ({code}): {SiloApi.FirstLine(detail)}"
            : $"the silo at {ServerAddresses.Shown(server)} refused the MCP request ({code}): {SiloApi.FirstLine(detail)}";
    }

    /// <summary>A relayed message that failed for a reason the client should read.</summary>
    private sealed class RelayFailure(string message) : Exception(message);
}
