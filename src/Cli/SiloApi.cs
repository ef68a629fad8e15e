using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AgentSnapshots.Cli;

/// <summary>
/// The silo's HTTP API (v1) as the CLI calls it: one request per verb with the key as <c>Authorization: Bearer</c>, to
/// the first of the given silos that accepts a connection (a request that never connected was never served, so
/// trying the next cannot do anything twice). Replies become the wire records; problems become a
/// <see cref="CommandFailure"/>: the caller's mistakes (4xx) exit 2, the service's (5xx), an unreachable silo or
/// something that is not the API exit 1, each as one line.
/// </summary>
internal sealed class SiloApi : IDisposable
{
    private const string ProblemMediaType = "application/problem+json";

    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _servers;
    private readonly ApiKey _key;
    private readonly TextWriter? _log;

    public SiloApi(IReadOnlyList<Uri> servers, ApiKey key, TextWriter? log)
    {
        _servers = servers;
        _key = key;
        _log = log;
        _http = CreateHttpClient(servers);
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The HTTP client of calls to <paramref name="servers"/>: quick to report a silo that is not there, patient with an operation.</summary>
    public static HttpClient CreateHttpClient(IReadOnlyList<Uri> servers) =>
        new(new SocketsHttpHandler
        {
            // A silo that is not there is reported within seconds; an operation itself may take as long as it takes.
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // The silo on this machine is never reached through a proxy (and reading the proxy settings costs time).
            UseProxy = !servers.All(s => s.IsLoopback),
            UseCookies = false,
            AllowAutoRedirect = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>Sends one request for <paramref name="session"/> (<paramref name="path"/> under <c>v1/sessions/{session}</c>) and reads its reply.</summary>
    public Task<T> CallAsync<T>(HttpMethod method, string session, string path, Func<HttpContent>? body, JsonTypeInfo<T> reply, CancellationToken ct) =>
        CallPathAsync(method, $"v1/sessions/{Uri.EscapeDataString(session)}{path}", body, reply, ct);

    /// <summary>The silo that answered the last call.</summary>
    public Uri? AnsweredBy { get; private set; }

    /// <summary>Sends one request to <paramref name="relative"/> (a path of the API, without the leading slash) and reads its reply.</summary>
    public async Task<T> CallPathAsync<T>(HttpMethod method, string relative, Func<HttpContent>? body, JsonTypeInfo<T> reply, CancellationToken ct)
    {
        var unreachable = new List<string>();
        foreach (var server in _servers)
        {
            using var request = new HttpRequestMessage(method, new Uri(server, relative)) { Content = body?.Invoke() };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key.Value);
            var watch = Stopwatch.StartNew();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            }
            catch (Exception e) when (NeverConnected(e, ct))
            {
                _log?.WriteLine($"agentsnapshots: {method} {request.RequestUri}: no answer ({Reason(e)})");
                unreachable.Add($"{ServerAddresses.Shown(server)} ({Reason(e)})");
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new CommandFailure($"the silo at {ServerAddresses.Shown(server)} stopped answering ({Reason(e)}); the operation may or may not have run: 'history' shows what the session holds.", e);
            }
            using (response)
            {
                AnsweredBy = server;
                _log?.WriteLine($"agentsnapshots: {method} {request.RequestUri} -> {(int)response.StatusCode} in {watch.Elapsed.TotalMilliseconds:F0} ms (key from {_key.Source})");
                return await ReadAsync(response, server, reply, ct);
            }
        }
        throw new CommandFailure(
            $"no silo answers at {string.Join(", ", unreachable)}; start one with 'dotnet run --project src/Silo', or pass --server URL (the silo's Http:Port).");
    }

    /// <summary>A JSON body of the contract's form.</summary>
    public static Func<HttpContent> Json<T>(T value, JsonTypeInfo<T> type) => () =>
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    };

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, Uri server, JsonTypeInfo<T> reply, CancellationToken ct)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (response.IsSuccessStatusCode)
        {
            try
            {
                if (mediaType == "application/json" && JsonSerializer.Deserialize(bytes, reply) is { } result)
                {
                    return result;
                }
            }
            catch (JsonException)
            {
            }
            throw NotTheApi(response, server);
        }
        ApiProblem? problem = null;
        if (mediaType is ProblemMediaType or "application/json")
        {
            try
            {
                problem = JsonSerializer.Deserialize(bytes, CliJson.Compact.ApiProblem);
            }
            catch (JsonException)
            {
            }
        }
        if (problem is not { Code: { } code, Detail: { } detail })
        {
            throw NotTheApi(response, server);
        }
        var status = (int)response.StatusCode;
        detail = FirstLine(detail);
        return status switch
        {
            401 => throw CommandFailure.BadInput($"the silo at {ServerAddresses.Shown(server)} refused the key from {_key.Source} ({code}): {detail}"),
            _ when code is "noSuchRoute" or "methodNotAllowed" => throw new CommandFailure(
                $"the server at {ServerAddresses.Shown(server)} does not have this operation ({code}): is it an AgentSnapshots silo of this CLI's version?"),
            >= 400 and < 500 => throw CommandFailure.BadInput(detail),
            _ => throw CommandFailure.OperationFailed(detail + (status == 503 && !detail.Contains("retry", StringComparison.OrdinalIgnoreCase) ? " (retry shortly)" : "")),
        };
    }

    private static CommandFailure NotTheApi(HttpResponseMessage response, Uri server) => new(
        $"the server at {ServerAddresses.Shown(server)} answered {(int)response.StatusCode} {response.ReasonPhrase} ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}), not as the AgentSnapshots API does: is --server a silo's HTTP address (Http:Port)?");

    /// <summary>Whether the request failed before any byte reached a silo: refused, no route, no such name, connect timeout.</summary>
    internal static bool NeverConnected(Exception e, CancellationToken ct) => e switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        // The connect timeout: no request was sent.
        OperationCanceledException when !ct.IsCancellationRequested => true,
        _ => false,
    };

    internal static string Reason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "no such host",
                    SocketError.TimedOut => "timed out",
                    _ => FirstLine(socket.Message),
                };
            }
        }
        return e is OperationCanceledException ? "no connection within 5 s" : FirstLine(e.Message);
    }

    internal static string FirstLine(string message)
    {
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
