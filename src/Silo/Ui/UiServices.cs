using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Http;
using AgentSnapshots.Silo.Ui.Components;
using AgentSnapshots.Silo.Ui.Pages;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// The web UI under <c>/ui/</c>: Razor components rendered on the server (static SSR, no interactive circuit), a
/// small script for live timelines, the login-session cookie scheme, and its endpoints.
/// </summary>
public static class UiServices
{
    public static IServiceCollection AddAgentSnapshotsUi(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new UnusedKeyRing());
        // Data Protection's hosted service makes a key at start; nothing here needs one (see UnusedKeyRing).
        foreach (var keyAtStart in services.Where(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList())
        {
            services.Remove(keyAtStart);
        }
        services.AddSingleton<UiAssets>();
        // Keeps the sessions list and the live timelines up to date from the session grains' own calls.
        services.AddSingleton<IIncomingGrainCallFilter, SessionActivityFilter>();
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, UiCookieAuthenticationHandler>(UiCookieAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(UiCookieAuthenticationHandler.PolicyName, p => p.AddAuthenticationSchemes(UiCookieAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        return services;
    }

    /// <summary>The UI's response headers (before the endpoints run).</summary>
    public static IApplicationBuilder UseAgentSnapshotsUi(this IApplicationBuilder app) => app.Use(UiSecurityHeaders.AddAsync);

    public static IEndpointRouteBuilder MapAgentSnapshotsUi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapLoginLinkEndpoints();
        var ui = endpoints.MapGroup("/ui").ExcludeFromDescription();
        ui.MapGet("/assets/{name}", (string name, UiAssets assets) => assets.Serve(name)).AllowAnonymous();
        ui.MapGet("/login", UiLogin.RedeemAsync).AllowAnonymous();
        ui.MapGet("/login-needed", () => new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<LoginNeededPage>(new
        {
            Title = "Login needed",
            Detail = "Run 'agentsnapshots ui' (or POST /v1/login-links with your key) and open the link it prints. A link works once, for 60 seconds.",
        })).AllowAnonymous();
        ui.MapPost("/logout", UiLogin.LogoutAsync).AllowAnonymous();

        var sessions = ui.MapGroup("/sessions/{session}").RequireAuthorization(UiCookieAuthenticationHandler.PolicyName);
        sessions.MapGet("/events", TimelineEvents.StreamAsync);
        sessions.MapGet("/rows", (string session) => new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<TimelineFragment>(new { Session = session }));
        sessions.MapPost("/actions/restore", UiActions.RestoreAsync);
        sessions.MapPost("/actions/revert", UiActions.RevertAsync);

        endpoints.MapRazorComponents<App>()
            .RequireAuthorization(UiCookieAuthenticationHandler.PolicyName)
            // CSRF is covered without tokens (SameSite=Strict cookie, Origin check): antiforgery tokens would need a
            // Data Protection key ring shared by every silo.
            .DisableAntiforgery();
        return endpoints;
    }
}
