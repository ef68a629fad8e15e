using System.ComponentModel.DataAnnotations;

namespace AgentSnapshots.Silo;

/// <summary>The silo's endpoints and cluster identity (section <c>Orleans</c>).</summary>
public sealed class OrleansSettings
{
    public const string SectionName = "Orleans";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    [Required]
    public string ClusterId { get; set; } = "agentsnapshots";

    [Required]
    public string ServiceId { get; set; } = "agentsnapshots";
}
