using AgentSnapshots.Tls;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Client;

/// <summary>Checks <see cref="AgentSnapshotsClientOptions"/> when the client starts; each failure says which setting and what to do.</summary>
internal sealed class AgentSnapshotsClientOptionsValidator : IValidateOptions<AgentSnapshotsClientOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentSnapshotsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!options.UsesPostgres)
        {
            foreach (var gateway in options.EffectiveGateways)
            {
                if (!GatewayEndpoint.TryParse(gateway, out _, out _))
                {
                    failures.Add($"Gateway '{gateway}' is not HOST:PORT (for example {AgentSnapshotsClientOptions.DefaultGateway}).");
                }
            }
        }
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("ClusterId is empty: set it to the silos' Orleans:ClusterId (default agentsnapshots).");
        }
        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add("ServiceId is empty: set it to the silos' Orleans:ServiceId (default agentsnapshots).");
        }
        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            failures.Add($"ResponseTimeout is {options.ResponseTimeout}: it must be positive.");
        }
        if (options.GatewayListRefreshPeriod <= TimeSpan.Zero)
        {
            failures.Add($"GatewayListRefreshPeriod is {options.GatewayListRefreshPeriod}: it must be positive.");
        }
        if (options.ConnectRetryTime < TimeSpan.Zero)
        {
            failures.Add($"ConnectRetryTime is {options.ConnectRetryTime}: it must be zero (no retry) or positive.");
        }
        if (options.CallRetryTime < TimeSpan.Zero)
        {
            failures.Add($"CallRetryTime is {options.CallRetryTime}: it must be zero (no retry) or positive.");
        }
        if (options.UsesTls)
        {
            // Loaded here to be checked: a wrong file fails the start with its setting named, not the first connection.
            using var material = ClientTls.TryLoad(options, failures);
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
