using System.Security.Claims;
using System.Text.Encodings.Web;
using AgentSnapshots.Silo.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// Authenticates API requests by <c>Authorization: Bearer &lt;key&gt;</c>: against the configured tenants' key hashes,
/// or, without tenants, against the local key (the single "local" principal). A refused request is answered 401 with
/// <c>WWW-Authenticate</c> and a problem saying which of missing key, other scheme or unknown key it was. Keys are
/// compared by hash in constant time and never logged.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TenantDirectory tenants,
    IOptions<LocalKey> localKey,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The claim naming the caller's tenant (absent for the local user).</summary>
    public const string TenantClaim = "agentsnapshots:tenant";

    /// <summary>The policy every /v1 endpoint requires.</summary>
    public const string PolicyName = "AgentSnapshotsApi";

    private const string Bearer = "Bearer ";

    /// <summary>What to send, as refusals say it.</summary>
    private string SendKey => tenants.Enabled
        ? "send 'Authorization: Bearer <your tenant's key>'"
        : $"send 'Authorization: Bearer <the local key>' (the silo's log names the file that holds it; default {DefaultKeyFile})";

    private const string DefaultKeyFile = "~/.config/agentsnapshots/local.key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0 || string.IsNullOrWhiteSpace(header[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var value = header.Count == 1 ? header[0]!.Trim() : "";
        if (string.Equals(value, Bearer.TrimEnd(), StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail(new ApiProblemException(ProblemCode.MissingKey,
                $"The Authorization header has no key after 'Bearer': {SendKey}.")));
        }
        if (!value.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail(new ApiProblemException(ProblemCode.UnsupportedScheme,
                $"The Authorization header is not of the form 'Bearer <key>': {SendKey}.")));
        }
        var key = value[Bearer.Length..].Trim();
        if (!tenants.Enabled)
        {
            return Task.FromResult(localKey.Value.Matches(key)
                ? Success(new ClaimsIdentity([new Claim(ClaimTypes.Name, "local")], SchemeName))
                : AuthenticateResult.Fail(new ApiProblemException(ProblemCode.InvalidKey,
                    $"The key is not this silo's local key: {SendKey}; a key file replaced since the silo started takes effect at its restart.")));
        }
        var tenant = tenants.FindByKey(key);
        if (tenant is null)
        {
            return Task.FromResult(AuthenticateResult.Fail(new ApiProblemException(ProblemCode.InvalidKey,
                "The key is not the key of any tenant of this service: check the key, or ask the operator whether your tenant is still configured.")));
        }
        return Task.FromResult(Success(new ClaimsIdentity([new Claim(ClaimTypes.Name, tenant.Name), new Claim(TenantClaim, tenant.Name)], SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var problem = result.Failure as ApiProblemException
            ?? new ApiProblemException(ProblemCode.MissingKey, $"This service takes a key: {SendKey}.");
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = problem.Problem == ProblemCode.MissingKey
            ? "Bearer realm=\"agentsnapshots\""
            : "Bearer realm=\"agentsnapshots\", error=\"invalid_token\"";
        await problems.WriteAsync(ProblemWriter.Context(Context, problem.Problem, problem.Message));
    }

    private static AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
}
