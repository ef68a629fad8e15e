using AgentSnapshots.Engine;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// Refuses, before any route runs, what a web page could send to a service on this machine: a <c>Host</c> that is not
/// a name of the service (DNS rebinding: a page's own name made to point at 127.0.0.1) with 400
/// <c>hostNotAllowed</c>, and an <c>Origin</c> other than the silo's own or one of <c>Http:AllowedOrigins</c> with 403
/// <c>originNotAllowed</c>. Names are the loopback ones and <c>Http:AllowedHosts</c>, matched as ASP.NET Core's host
/// filtering matches them (any port, <c>*.</c> wildcards). When the listener is not on loopback, <c>/health/*</c> is
/// left out of the Host check: load balancers and orchestrators probe it by the node's address, and it shows nothing
/// a rebinding page could use. (Host filtering middleware itself cannot answer our problems; this is that check.)
/// </summary>
internal sealed partial class HostAndOriginCheck
{
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]"];

    private readonly RequestDelegate _next;
    private readonly IProblemDetailsService _problems;
    private readonly ILogger<HostAndOriginCheck> _logger;
    private readonly List<StringSegment> _hosts;
    private readonly HashSet<string> _origins;
    private readonly bool _healthByAnyHost;

    public HostAndOriginCheck(RequestDelegate next, IOptions<HttpSettings> http, IProblemDetailsService problems, ILogger<HostAndOriginCheck> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        _next = next;
        _problems = problems;
        _logger = logger;
        _hosts = [.. LoopbackNames.Concat(http.Value.AllowedHosts).Select(h => new StringSegment(h.Trim()))];
        _origins = new HashSet<string>(http.Value.AllowedOrigins.Select(HttpSettings.NormalizeOrigin), StringComparer.OrdinalIgnoreCase);
        _healthByAnyHost = !http.Value.IsLoopback;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var host = request.Host.Value ?? "";
        var hostAllowed = IsAllowedHost(host);
        if (!hostAllowed && !(_healthByAnyHost && request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)))
        {
            LogRefusedHost(_logger, MessageText.Shown(host), request.Path);
            await Refuse(context, ProblemCode.HostNotAllowed,
                $"Host '{MessageText.Shown(host)}' is not a name of this service (a web page whose name was rebound to this machine sends its own): call it as http://127.0.0.1:{context.Connection.LocalPort}, or add the name to {HttpSettings.AllowedHostsKey}.");
            return;
        }
        var origins = request.Headers.Origin;
        if (origins.Count > 0)
        {
            var origin = origins.Count == 1 ? origins[0] ?? "" : string.Join(", ", origins.ToArray());
            var own = hostAllowed && string.Equals(origin, $"{request.Scheme}://{host}", StringComparison.OrdinalIgnoreCase);
            if (!own && !_origins.Contains(origin.TrimEnd('/')))
            {
                LogRefusedOrigin(_logger, MessageText.Shown(origin), request.Path);
                await Refuse(context, ProblemCode.OriginNotAllowed,
                    $"Origin '{MessageText.Shown(origin)}' is not allowed to call this service: a page of another site may not drive it; add the origin to {HttpSettings.AllowedOriginsKey} if it is yours.");
                return;
            }
        }
        await _next(context);
    }

    private bool IsAllowedHost(string host)
    {
        if (host.Length == 0)
        {
            return false;
        }
        try
        {
            return HostString.MatchesAny(host, _hosts);
        }
        catch (FormatException)
        {
            // A malformed port.
            return false;
        }
    }

    private Task Refuse(HttpContext context, ProblemCode problem, string detail) =>
        _problems.WriteAsync(ProblemWriter.Context(context, problem, detail)).AsTask();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a request for {Path} with Host '{Host}' (not loopback nor in Http:AllowedHosts: DNS rebinding, or a name to allow)")]
    private static partial void LogRefusedHost(ILogger logger, string host, PathString path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a request for {Path} from Origin '{Origin}' (a web page of another site, or an origin to add to Http:AllowedOrigins)")]
    private static partial void LogRefusedOrigin(ILogger logger, string origin, PathString path);
}
