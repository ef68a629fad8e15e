using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Tests.Support;

/// <summary>When <see cref="DroppingProxy"/> drops the first request of its kind: before passing it on, or after the silo answered it.</summary>
public enum DropWhen
{
    BeforeForwarding,
    AfterAnswer,
}

/// <summary>
/// A real HTTP proxy on a loopback port in front of a silo's HTTP API that drops the connection of the first request
/// to a path ending in <c>dropped</c> (its reply never reaches the client), as a silo that died does: before passing
/// it on (nothing ran) or after the silo answered (it ran). Every other request is passed on unchanged.
/// </summary>
public sealed class DroppingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _silo;
    private int _dropped;

    private DroppingProxy(WebApplication app, HttpClient silo, int port)
    {
        _app = app;
        _silo = silo;
        Address = $"http://127.0.0.1:{port}";
    }

    /// <summary>The proxy's address, for the CLI's <c>--server</c>.</summary>
    public string Address { get; }

    /// <summary>Whether the request was dropped.</summary>
    public bool Dropped => Volatile.Read(ref _dropped) == 1;

    public static async Task<DroppingProxy> StartAsync(Uri silo, string dropped, DropWhen when, CancellationToken ct)
    {
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var app = builder.Build();
        var proxy = new DroppingProxy(app, new HttpClient { BaseAddress = silo }, port);
        app.Run(context => proxy.PassOnAsync(context, dropped, when));
        await app.StartAsync(ct);
        return proxy;
    }

    private async Task PassOnAsync(HttpContext context, string dropped, DropWhen when)
    {
        var drop = context.Request.Path.Value?.EndsWith(dropped, StringComparison.Ordinal) == true && Interlocked.Exchange(ref _dropped, 1) == 0;
        if (drop && when == DropWhen.BeforeForwarding)
        {
            context.Abort();
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            request.Content = new ByteArrayContent(body.ToArray());
            request.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
        }
        request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        using var answer = await _silo.SendAsync(request, context.RequestAborted);
        var bytes = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (drop)
        {
            context.Abort();
            return;
        }
        context.Response.StatusCode = (int)answer.StatusCode;
        context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _silo.Dispose();
    }
}
