namespace AgentSnapshots.Silo;

/// <summary>
/// Mutual TLS between silos and between clients and silos (section <c>Orleans:Tls</c>): this silo's certificate and
/// key, and the CA every peer's and client's certificate must chain to, as PEM files. Required in cluster mode unless
/// <see cref="Disabled"/>; on one node it applies when set.
/// </summary>
public sealed class OrleansTlsSettings
{
    public const string SectionName = "Orleans:Tls";

    /// <summary>This silo's certificate (PEM). Its extended key usage, if any, must allow server and client authentication.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>The certificate's private key (PEM, unencrypted: PKCS#8, PKCS#1 or SEC1).</summary>
    public string? KeyFile { get; set; }

    /// <summary>The CA certificate(s) (PEM) that peers' and clients' certificates must chain to; nothing else is trusted.</summary>
    public string? CaFile { get; set; }

    /// <summary>Cluster mode without TLS, for a network where every host that can reach the silo and gateway ports is trusted.</summary>
    public bool Disabled { get; set; }

    /// <summary>True when any of the three files is named.</summary>
    public bool AnyFileSet =>
        !string.IsNullOrWhiteSpace(CertificateFile) || !string.IsNullOrWhiteSpace(KeyFile) || !string.IsNullOrWhiteSpace(CaFile);
}
