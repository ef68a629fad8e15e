using AgentSnapshots.Tls;
using Orleans.Connections.Security;

namespace AgentSnapshots.Client;

/// <summary>The SDK's side of the cluster's mutual TLS: its certificate to the gateways, and only the cluster's CA trusted for theirs.</summary>
internal static class ClientTls
{
    /// <summary>Loads the three files named by the options, or adds one failure per wrong one (naming the option) and returns null.</summary>
    public static ClusterTlsMaterial? TryLoad(AgentSnapshotsClientOptions options, List<string> failures) =>
        ClusterTlsMaterial.TryLoad(
            new TlsFile(nameof(AgentSnapshotsClientOptions.TlsCertificateFile), options.TlsCertificateFile),
            new TlsFile(nameof(AgentSnapshotsClientOptions.TlsKeyFile), options.TlsKeyFile),
            new TlsFile(nameof(AgentSnapshotsClientOptions.TlsCaFile), options.TlsCaFile),
            forServer: false,
            failures);

    /// <summary>Connections to the gateways present <paramref name="material"/>'s certificate and accept only silo certificates from its CA.</summary>
    public static IClientBuilder UseClusterTls(this IClientBuilder client, ClusterTlsMaterial material) =>
        client.UseTls(material.Certificate, o =>
        {
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.RemoteCertificateValidation = (certificate, chain, _) => material.Accepts(certificate, chain, mustBeSilo: true);
        });
}
