using AgentSnapshots.Client;

namespace AgentSnapshots.Tests.Support;

/// <summary>The SDK's side of <see cref="ClusterCertificates"/>.</summary>
public static class ClusterCertificatesSdk
{
    /// <summary>Sets the SDK's TLS options to the client certificate of <paramref name="certificates"/>' CA.</summary>
    public static void ConfigureClient(this ClusterCertificates certificates, AgentSnapshotsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(options);
        options.TlsCertificateFile = certificates.ClientCertificateFile;
        options.TlsKeyFile = certificates.ClientKeyFile;
        options.TlsCaFile = certificates.CaFile;
    }
}
