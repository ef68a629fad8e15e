namespace AgentSnapshots;

/// <summary>A login token's stored grant (none once redeemed, revoked or expired).</summary>
public sealed class LoginTokenState
{
    public string? Tenant { get; set; }

    public DateTimeOffset? Expires { get; set; }

    public bool SingleUse { get; set; }
}
