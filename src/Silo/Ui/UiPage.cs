using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Http;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// What every UI page shares: the request, and calls to the caller's sessions through <see cref="SessionAddress"/>
/// (the same addressing and tenant rules as the /v1 endpoints). A refused call becomes the page's
/// <see cref="Problem"/> and status instead of its content.
/// </summary>
public abstract class UiPage : ComponentBase
{
    [CascadingParameter]
    public HttpContext HttpContext { get; set; } = null!;

    [Inject]
    internal IGrainFactory Grains { get; set; } = null!;

    [Inject]
    internal TenantDirectory Tenants { get; set; } = null!;

    [Inject]
    internal ILogger<UiPage> Logger { get; set; } = null!;

    internal UiProblem? Problem { get; private set; }

    /// <summary>The caller's tenant (null: the local user).</summary>
    protected string? Tenant => HttpContext.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value;

    /// <summary>Calls the caller's session <paramref name="session"/>; null (and <see cref="Problem"/> set) if it was refused.</summary>
    internal Task<T?> CallAsync<T>(string session, Func<ISessionGrain, CancellationToken, Task<T>> call) where T : class =>
        TryAsync(() => SessionAddress.For(HttpContext, session, Tenants, Grains).CallAsync(call, HttpContext.RequestAborted));

    /// <summary>Runs <paramref name="call"/>; a refusal or failure becomes the page's problem.</summary>
    internal async Task<T?> TryAsync<T>(Func<Task<T>> call) where T : class
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var problem = UiProblem.From(e);
            if (problem is null)
            {
                UiLog.PageFailed(Logger, HttpContext.Request.Path, e);
                problem = new UiProblem(StatusCodes.Status500InternalServerError, "The service failed", $"The service failed ({e.GetType().Name}); the silo's log has the details. Reloading may help if the cause was passing.");
            }
            Fail(problem);
            return null;
        }
    }

    /// <summary>Runs <paramref name="call"/>; null if it was refused (a part of the page the rest does without).</summary>
    internal static async Task<T?> OptionalAsync<T>(Func<Task<T>> call) where T : class
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call();
        }
        catch (Exception e) when (UiProblem.From(e) is not null)
        {
            return null;
        }
    }

    internal void Fail(UiProblem problem)
    {
        if (Problem is not null)
        {
            return;
        }
        Problem = problem;
        // Set as the page starts to be written: a 404 set during rendering makes the renderer drop the page's body
        // (it leaves not-found pages to status code pages), and this page says what was not found.
        var response = HttpContext.Response;
        response.OnStarting(() =>
        {
            response.StatusCode = problem.Status;
            return Task.CompletedTask;
        });
    }

    /// <summary>A whole, positive query value (a page number), else 1.</summary>
    protected static int PageNumber(int? page) => page is > 0 ? page.Value : 1;
}
