using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSnapshots.Engine;
using AgentSnapshots.Silo.Auth;
using AgentSnapshots.Silo.Health;
using AgentSnapshots.Silo.Http;
using AgentSnapshots.Silo.Mcp;
using AgentSnapshots.Silo.Ui;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace AgentSnapshots.Silo;

/// <summary>
/// The silo's HTTP surface on <c>Http:Host</c>:<c>Http:Port</c> (default 127.0.0.1:5180; port 0: none): the API under
/// <c>/v1</c> (tenants' keys checked by <see cref="ApiKeyAuthenticationHandler"/>), its OpenAPI document, the health
/// endpoints and the optional Orleans Dashboard; and OpenTelemetry metrics and traces exported over OTLP when
/// <c>Telemetry:OtlpEndpoint</c> is set.
/// </summary>
public static class SiloHttp
{
    public const string DashboardKey = "Dashboard:Enabled";
    public const string OtlpEndpointKey = "Telemetry:OtlpEndpoint";
    public const string DashboardPath = "/dashboard";
    public const string OpenApiPath = "/openapi/{documentName}.json";

    /// <summary>Meters exported: Orleans' own and ours.</summary>
    public static readonly string[] Meters = ["Microsoft.Orleans", SnapshotMetrics.MeterName];

    /// <summary>Activity sources traced: Orleans' (runtime, application calls, storage, lifecycle) and ours.</summary>
    public static readonly string[] ActivitySources = ["Microsoft.Orleans.*", SnapshotMetrics.MeterName];

    /// <summary>
    /// Kestrel on <c>Http:Host</c>:<c>Http:Port</c> (no listener for port 0), the API's services (tenants and their
    /// validation, authentication and the policy, problem replies, OpenAPI), health checks, the dashboard's grain
    /// side when <c>Dashboard:Enabled</c>, and OpenTelemetry exporters when <c>Telemetry:OtlpEndpoint</c> is set.
    /// </summary>
    public static WebApplicationBuilder AddAgentSnapshotsOperations(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HttpSettings>()
            .BindConfiguration(HttpSettings.SectionName)
            .ValidateDataAnnotations()
            .Validate(s => s.ListenAddress() is not null, $"{HttpSettings.HostKey} must be an IP address (127.0.0.1, ::1, 0.0.0.0 for every interface) or localhost.")
            .Validate(s => s.AllowedOrigins.TrueForAll(HttpSettings.IsOrigin),
                $"{HttpSettings.AllowedOriginsKey} entries must be web origins: scheme, host and port only, e.g. https://ui.example.com or http://localhost:3000.")
            .Validate(s => s.AllowedHosts.TrueForAll(h => !string.IsNullOrWhiteSpace(h) && !h.Contains('/', StringComparison.Ordinal)),
                $"{HttpSettings.AllowedHostsKey} entries must be host names (snapshots.internal, *.example.com), without scheme or path.")
            .ValidateOnStart();
        builder.Services.AddOptions<AuthSettings>()
            .BindConfiguration(AuthSettings.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthSettings>, AuthSettingsValidator>();
        builder.Services.AddSingleton<TenantDirectory>();
        // The session grains apply the tenants' roots: they get them from here, not from the HTTP layer.
        builder.Services.AddOptions<TenantWorkspaceRoots>().Configure<IOptions<AuthSettings>>((roots, auth) =>
        {
            foreach (var (name, tenant) in auth.Value.Tenants)
            {
                roots.Roots[name.ToLowerInvariant()] = [.. tenant.WorkspaceRoots];
            }
        });
        builder.Services.AddSingleton<LocalKeySetup>();
        builder.Services.AddSingleton<IConfigureOptions<LocalKey>>(sp => sp.GetRequiredService<LocalKeySetup>());
        builder.Services.AddSingleton<IValidateOptions<LocalKey>>(sp => sp.GetRequiredService<LocalKeySetup>());
        builder.Services.AddOptions<LocalKey>().ValidateOnStart();

        if (builder.Configuration.GetValue(HttpSettings.PortKey, HttpSettings.DefaultPort) == 0)
        {
            builder.Services.AddSingleton<IServer, NoHttpServer>();
        }
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpSettings>>((kestrel, http) =>
        {
            // Validated at start before Kestrel binds: a bad host or port stops the silo with exit code 2 first.
            if (http.Value is { Port: > 0 } settings && settings.ListenAddress() is { } address)
            {
                kestrel.Listen(address, settings.Port);
            }
            kestrel.Limits.MaxRequestBodySize = RequestBodies.MaxBytes;
        });

        // Authentication without its cookie machinery: AddAuthentication would also add data protection, which writes
        // a key ring to the user's profile at start that nothing here uses.
        builder.Services.AddAuthenticationCore(o => o.DefaultScheme = ApiKeyAuthenticationHandler.SchemeName);
        builder.Services.AddWebEncoders();
        new AuthenticationBuilder(builder.Services)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthenticationHandler.PolicyName, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        // CORS only for the origins configured: without them a browser page of another origin gets no CORS answer,
        // and HostAndOriginCheck refuses its requests.
        var origins = builder.Configuration.GetSection(HttpSettings.AllowedOriginsKey).Get<string[]>() ?? [];
        if (origins.Length > 0)
        {
            builder.Services.AddCors(o => o.AddDefaultPolicy(p => p
                .WithOrigins([.. origins.Select(HttpSettings.NormalizeOrigin)])
                .WithMethods(HttpMethods.Get, HttpMethods.Post, HttpMethods.Delete)
                .WithHeaders("Authorization", "Content-Type", "Accept")));
        }
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = RouteProblems.Customize);
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        // The OpenAPI schemas follow the replies' JSON: camelCase, enums as camelCase strings (ContractJson).
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            // Numbers are numbers (the web defaults would also read them from strings, and document them so).
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddOpenApi(ApiDocumentation.DocumentName, ApiDocumentation.Configure);
        builder.Services.AddSiloHealthChecks();
        builder.Services.AddAgentSnapshotsMcp();
        builder.Services.AddAgentSnapshotsUi();

        if (builder.Configuration.GetValue(DashboardKey, defaultValue: false))
        {
            ((IHostApplicationBuilder)builder).UseOrleans(silo => silo.AddDashboard());
        }

        builder.AddAgentSnapshotsTelemetry();
        return builder;
    }

    /// <summary>OpenTelemetry metrics (Orleans' and ours) and traces, exported over OTLP when an endpoint is configured.</summary>
    public static void AddAgentSnapshotsTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var endpoint = builder.Configuration[OtlpEndpointKey];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return;
        }

        var uri = new Uri(endpoint);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("agentsnapshots-silo", serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(m => m.AddMeter(Meters).AddOtlpExporter(o => o.Endpoint = uri))
            .WithTracing(t => t.AddSource(ActivitySources).AddOtlpExporter(o => o.Endpoint = uri));
    }

    /// <summary>
    /// Maps the API (<c>/v1</c>), <c>/openapi/v1.json</c>, <c>/health/live</c>, <c>/health/ready</c> and, when
    /// enabled, the dashboard; failures and unknown routes answer problems with a code.
    /// </summary>
    public static WebApplication MapAgentSnapshotsOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<HostAndOriginCheck>();
        app.UseAgentSnapshotsUi();
        if (app.Services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsService>() is not null)
        {
            app.UseCors();
        }
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapSessionEndpoints();
        app.MapAgentSnapshotsMcp();
        app.MapAgentSnapshotsUi();
        app.MapOpenApi(OpenApiPath);
        app.MapSiloHealthChecks();
        if (app.Configuration.GetValue(DashboardKey, defaultValue: false))
        {
            app.MapOrleansDashboard(DashboardPath);
        }

        return app;
    }

    /// <summary>The server used when no HTTP port is configured: listens nowhere.</summary>
    private sealed class NoHttpServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
