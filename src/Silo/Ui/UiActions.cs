using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Http;
using AgentSnapshots.Silo.Ui.Pages;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// The UI's two writes, restore and revert, posted from their confirmation page: the same grain calls as
/// <c>POST /v1/sessions/{session}/restore</c> and <c>/revert</c>, through the same <see cref="SessionAddress"/>.
/// CSRF: the login cookie is SameSite=Strict (no other site's form sends it) and a write must carry the page's own
/// <c>Origin</c> (<see cref="HostAndOriginCheck"/> already refuses any other; this refuses none at all).
/// </summary>
internal static class UiActions
{
    public static async Task<IResult> RestoreAsync(string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains)
    {
        if (!SameOrigin(http))
        {
            return CrossOrigin();
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        return await RunAsync(session, http, tenants, grains, "restore", form["to"], null);
    }

    public static async Task<IResult> RevertAsync(string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains)
    {
        if (!SameOrigin(http))
        {
            return CrossOrigin();
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var files = form["files"].OfType<string>().Where(f => f.Length > 0).ToList();
        if (files.Count == 0)
        {
            return Done(session, "revert", null, new UiProblem(StatusCodes.Status400BadRequest, "No file chosen",
                "Revert restores only the files you tick: go back, tick at least one, or use Restore for every file."));
        }
        return await RunAsync(session, http, tenants, grains, "revert", form["to"], files);
    }

    /// <summary>Whether a write comes from a page of this service: its Origin is present (HostAndOriginCheck vouched for its value).</summary>
    public static bool SameOrigin(HttpContext http) => http.Request.Headers.Origin.Count == 1 && !string.IsNullOrEmpty(http.Request.Headers.Origin[0]);

    public static IResult CrossOrigin() =>
        new RazorComponentResult<LoginNeededPage>(new
        {
            Title = "Refused: not sent from this service's page",
            Detail = "A change through the web UI must be posted from the UI's own page (the request had no Origin). Open the page and use its button.",
        }) { StatusCode = StatusCodes.Status403Forbidden };

    private static async Task<IResult> RunAsync(string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, string verb, string? to, List<string>? files)
    {
        try
        {
            var address = SessionAddress.For(http, session, tenants, grains);
            var hash = SessionArguments.Hash(to, "to");
            var result = files is null
                ? await address.CallAsync((g, c) => g.RestoreAsync(hash, c), http.RequestAborted)
                : await address.CallAsync((g, c) => g.RevertAsync(hash, files, c), http.RequestAborted);
            return Done(session, verb, result, null);
        }
        catch (Exception e) when (UiProblem.From(e) is { } problem)
        {
            return Done(session, verb, null, problem);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            UiLog.PageFailed(http.RequestServices.GetRequiredService<ILogger<UiPage>>(), http.Request.Path, e);
            return Done(session, verb, null, new UiProblem(StatusCodes.Status500InternalServerError, "The service failed",
                $"The service failed ({e.GetType().Name}); the silo's log has the details."));
        }
    }

    private static RazorComponentResult<RestoreDonePage> Done(string session, string verb, RestoreResult? result, UiProblem? problem) =>
        new(new Dictionary<string, object?> { ["Session"] = session, ["Verb"] = verb, ["Result"] = result, ["Failure"] = problem })
        {
            StatusCode = problem?.Status ?? StatusCodes.Status200OK,
        };
}
