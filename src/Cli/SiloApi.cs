using System.Diagnostics;
using System.Net;
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
/// Transient unavailability (503 with <c>Retry-After</c> while the cluster notices a dead silo or another silo still
/// holds a workspace, a connection lost mid-request, no silo accepting connections) is retried for up to
/// <see cref="RetryTime"/> (<see cref="NoSiloRetryTime"/> while no silo has answered at all), on the next silo
/// first, but only where repeating cannot do harm (<see cref="Repeatable"/>): reads, tracks and gc; a restore or
/// revert only when its first attempt provably wrote nothing (never connected, refused as <c>workspaceLocked</c>, or
/// no new safety snapshot in the history: see <see cref="RepeatCheckAsync"/>); a delete only when it never
/// connected. Otherwise the failure says what may have run.
/// </summary>
internal sealed class SiloApi : IDisposable
{
    private const string ProblemMediaType = "application/problem+json";

    /// <summary>The problem code of a workspace another silo still holds: refused before anything ran.</summary>
    private const string WorkspaceLocked = "workspaceLocked";

    /// <summary>How long transient unavailability is retried before the call fails.</summary>
    public static readonly TimeSpan RetryTime = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a call is retried while no silo accepts a connection at all: a silo restarting, not the whole
    /// <see cref="RetryTime"/>, so a silo that was never started is reported within seconds.
    /// </summary>
    public static readonly TimeSpan NoSiloRetryTime = TimeSpan.FromSeconds(5);

    /// <summary>The pause between rounds when no silo answered, and the longest a <c>Retry-After</c> is followed.</summary>
    private static readonly TimeSpan RoundPause = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(2);

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
    public async Task<T> CallAsync<T>(HttpMethod method, string session, string path, Func<HttpContent>? body, JsonTypeInfo<T> reply, CancellationToken ct) =>
        await SendAsync(method, $"v1/sessions/{Uri.EscapeDataString(session)}{path}", body, reply, await RepeatCheckAsync(method, session, path, ct), session, ct);

    /// <summary>The silo that answered the last call.</summary>
    public Uri? AnsweredBy { get; private set; }

    /// <summary>
    /// Sends one request to <paramref name="relative"/> (a path of the API, without the leading slash) and reads its
    /// reply. Retried after an attempt that may have run only if it is a GET.
    /// </summary>
    public Task<T> CallPathAsync<T>(HttpMethod method, string relative, Func<HttpContent>? body, JsonTypeInfo<T> reply, CancellationToken ct) =>
        SendAsync(method, relative, body, reply, _ => Task.FromResult(method == HttpMethod.Get), null, ct);

    /// <summary>
    /// The request, retried on transient unavailability as the class says; <paramref name="mayRepeat"/> decides after an
    /// attempt that may have run. A refusal of <paramref name="session"/>'s operation gets the CLI's advice.
    /// </summary>
    private async Task<T> SendAsync<T>(HttpMethod method, string relative, Func<HttpContent>? body, JsonTypeInfo<T> reply, Func<CommandFailure, Task<bool>> mayRepeat, string? session, CancellationToken ct)
    {
        var retryUntil = Stopwatch.StartNew();
        var first = 0;
        var anyAnswered = false;
        while (true)
        {
            var unreachable = new List<string>();
            var pause = RoundPause;
            CommandFailure? transient = null;
            for (var n = 0; n < _servers.Count; n++)
            {
                var server = _servers[(first + n) % _servers.Count];
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
                // A connection cut by a dying silo can surface as the socket's own error rather than wrapped by HttpClient.
                catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
                {
                    var failure = new CommandFailure($"the silo at {ServerAddresses.Shown(server)} stopped answering ({Reason(e)}); the operation may or may not have run: 'history' shows what the session holds.", e);
                    if (!await mayRepeat(failure)) throw failure;
                    _log?.WriteLine($"agentsnapshots: {method} {request.RequestUri}: lost mid-request ({Reason(e)}); repeating it is safe");
                    transient = failure;
                    first = (first + n + 1) % _servers.Count;
                    break;
                }
                using (response)
                {
                    AnsweredBy = server;
                    _log?.WriteLine($"agentsnapshots: {method} {request.RequestUri} -> {(int)response.StatusCode} in {watch.Elapsed.TotalMilliseconds:F0} ms (key from {_key.Source})");
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable && retryUntil.Elapsed < RetryTime
                        && await ProblemCodeAsync(response, ct) is var code
                        && await FailureOfAsync(response, server, reply, session, ct) is var failure
                        && (code == WorkspaceLocked || await mayRepeat(failure)))
                    {
                        // Refused before it ran (a workspace still held elsewhere), or safe to repeat: again, after the pause asked for.
                        _log?.WriteLine($"agentsnapshots: {method} {request.RequestUri}: unavailable ({code}); retrying");
                        transient = failure;
                        pause = RetryAfter(response);
                        first = (first + n + 1) % _servers.Count;
                        break;
                    }
                    return await ReadAsync(response, server, reply, session, ct);
                }
            }
            anyAnswered |= transient is not null;
            if (retryUntil.Elapsed + pause >= (anyAnswered ? RetryTime : NoSiloRetryTime))
            {
                throw transient ?? new CommandFailure(
                    $"no silo answers at {string.Join(", ", unreachable)}; start one with 'dotnet run --project src/Silo', or pass --server URL (the silo's Http:Port).");
            }
            await Task.Delay(pause, ct);
        }
    }

    /// <summary>
    /// Whether sending the request again cannot do harm if its first attempt ran: reads, a track (a second snapshot of
    /// the same tree is one more history entry) and gc. Not a restore, revert or delete.
    /// </summary>
    public static bool Repeatable(HttpMethod method, string path) =>
        method == HttpMethod.Get || (method == HttpMethod.Post && path is "/snapshots" or "/gc");

    /// <summary>
    /// How to decide, after an attempt that may have run, whether the request may be sent again (the failure in hand
    /// is thrown when not, or replaced by one that says more). Repeatable requests: always. A restore or revert
    /// records its safety snapshot in the history before it touches a file, so the history is read now and again
    /// after a lost attempt: as many safety snapshots as before means the attempt wrote nothing and it is sent again;
    /// one more means it may have run in part, and the person is told which snapshot undoes it. A delete: never.
    /// </summary>
    private async Task<Func<CommandFailure, Task<bool>>> RepeatCheckAsync(HttpMethod method, string session, string path, CancellationToken ct)
    {
        if (Repeatable(method, path)) return _ => Task.FromResult(true);
        if (method != HttpMethod.Post || path is not ("/restore" or "/revert")) return _ => Task.FromResult(false);
        var history = CliJson.Compact.SessionHistory;
        var safetiesBefore = SafetyLabels.CountIn(await CallAsync(HttpMethod.Get, session, "/snapshots", null, history, ct));
        return async lost =>
        {
            var after = await CallAsync(HttpMethod.Get, session, "/snapshots", null, history, ct);
            if (SafetyLabels.CountIn(after) == safetiesBefore) return true;
            var verb = path[1..];
            throw new CommandFailure(
                $"{lost.Message.TrimEnd('.')}; the {verb} had taken safety snapshot {SafetyLabels.Newest(after)}, so it may have run in part and was not sent again: run '{verb}' again to finish it, or 'restore --to {SafetyLabels.Newest(after)}' to undo it.",
                lost);
        };
    }

    /// <summary>A JSON body of the contract's form.</summary>
    public static Func<HttpContent> Json<T>(T value, JsonTypeInfo<T> type) => () =>
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    };

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, Uri server, JsonTypeInfo<T> reply, string? session, CancellationToken ct)
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
        detail = FirstLine(problem.Fact is { } fact && session is not null && CliAdvice.For(code, session) is { } advice ? $"{fact} {advice}" : detail);
        return status switch
        {
            401 => throw CommandFailure.BadInput($"the silo at {ServerAddresses.Shown(server)} refused the key from {_key.Source} ({code}): {detail}"),
            _ when code is "noSuchRoute" or "methodNotAllowed" => throw new CommandFailure(
                $"the server at {ServerAddresses.Shown(server)} does not have this operation ({code}): is it an AgentSnapshots silo of this CLI's version?"),
            >= 400 and < 500 => throw CommandFailure.BadInput(detail),
            _ => throw CommandFailure.OperationFailed(detail + (status == 503 && !detail.Contains("retry", StringComparison.OrdinalIgnoreCase) ? " (retry shortly)" : "")),
        };
    }

    /// <summary>The problem's code of an answer (null when it is not a problem of the API).</summary>
    private static async Task<string?> ProblemCodeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(ct), CliJson.Compact.ApiProblem)?.Code;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The failure an unsuccessful answer is (as <see cref="ReadAsync"/> reports it).</summary>
    private async Task<CommandFailure> FailureOfAsync<T>(HttpResponseMessage response, Uri server, JsonTypeInfo<T> reply, string? session, CancellationToken ct)
    {
        try
        {
            await ReadAsync(response, server, reply, session, ct);
        }
        catch (CommandFailure failure)
        {
            return failure;
        }
        return new CommandFailure($"the silo at {ServerAddresses.Shown(server)} answered {(int)response.StatusCode} and then a result.");
    }

    /// <summary>The pause a 503 asks for (<c>Retry-After</c> in seconds), at most <see cref="LongestPause"/>.</summary>
    private static TimeSpan RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? TimeSpan.FromTicks(Math.Clamp(delta.Ticks, RoundPause.Ticks, LongestPause.Ticks)) : RoundPause;

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
