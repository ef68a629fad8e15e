using System.Globalization;
using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Http;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// <c>GET /ui/sessions/{session}/events</c>: server-sent events telling an open timeline that its session changed
/// (a track, a step's stats, a restore), so the page fetches its newest rows. Waits on the tenant's
/// <see cref="ISessionDirectoryGrain"/>, which any silo reaches, so a step tracked through one silo shows in a
/// timeline served by another. A comment line every <see cref="KeepAlive"/> keeps proxies from closing it.
/// </summary>
internal static class TimelineEvents
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains)
    {
        var ct = http.RequestAborted;
        // The same addressing and tenant rules as the pages: a session the caller has no snapshots of is not there.
        var history = await SessionAddress.For(http, session, tenants, grains).CallAsync((g, c) => g.HistoryAsync(c), ct);
        if (history.Snapshots.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var tenant = http.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value;
        var directory = grains.GetGrain<ISessionDirectoryGrain>(SessionDirectory.KeyFor(tenant));
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        // Tells the page how soon to reconnect after a drop (a silo restart).
        await http.Response.WriteAsync("retry: 1000\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        long seen = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var version = await directory.WaitForChangeAsync(session, seen, KeepAlive).WaitAsync(ct);
                // The first answer (a version never seen) also covers changes between the page's render and this stream.
                var message = version != seen ? $"event: changed\ndata: {version.ToString(CultureInfo.InvariantCulture)}\n\n" : ": still here\n\n";
                seen = version;
                await http.Response.WriteAsync(message, ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page went away.
        }
    }
}
