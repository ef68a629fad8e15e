using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo;

/// <summary>Checks of <see cref="OrleansSettings"/> across keys (each key's own range is an attribute on it).</summary>
internal sealed class OrleansSettingsValidator : IValidateOptions<OrleansSettings>
{
    public ValidateOptionsResult Validate(string? name, OrleansSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.GatewayPort == options.SiloPort
            ? ValidateOptionsResult.Fail($"Orleans:GatewayPort and Orleans:SiloPort are both {options.SiloPort}: give the gateway a port of its own (or leave Orleans:GatewayPort unset on one node for no gateway).")
            : ValidateOptionsResult.Success;
    }
}
