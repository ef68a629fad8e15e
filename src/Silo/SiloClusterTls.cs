using AgentSnapshots.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace AgentSnapshots.Silo;

/// <summary>
/// Mutual TLS on the silo and gateway ports from <c>Orleans:Tls:*</c>. Cluster mode requires it (or an explicit
/// <c>Orleans:Tls:Disabled=true</c>); one node uses it when the files are named. The files are read at start, so a
/// wrong one stops the silo with a line naming its setting. One node without the files still puts its silo port
/// behind mutual TLS, with a throwaway certificate only it holds: Orleans takes a silo's word that it is one, so a
/// plain silo port would let any local user call grains.
/// </summary>
internal static class SiloClusterTls
{
    private const string Prefix = OrleansTlsSettings.SectionName + ":";

    /// <summary>The subject of a one-node silo's throwaway certificate (the start log names it).</summary>
    public const string EphemeralSubject = "CN=agentsnapshots-one-node-silo";

    /// <summary>
    /// How long a one-node silo's throwaway certificate says it is valid. Short, as it names no lasting identity; a
    /// silo running longer keeps using it, as peers are checked for holding this exact certificate, not its dates.
    /// </summary>
    private static readonly TimeSpan EphemeralValidity = TimeSpan.FromDays(1);

    /// <summary>
    /// The material to use (on one node without files: <see cref="ClusterTlsMaterial.Ephemeral"/>), or null for plain
    /// TCP (cluster mode with the opt-out); throws <see cref="OptionsValidationException"/> naming the wrong setting.
    /// </summary>
    public static ClusterTlsMaterial? Load(OrleansTlsSettings tls, bool clusterMode)
    {
        var failures = new List<string>();
        ClusterTlsMaterial? material = null;
        if (tls.Disabled)
        {
            if (tls.AnyFileSet)
            {
                failures.Add($"{Prefix}{nameof(OrleansTlsSettings.Disabled)} is true while {Prefix}CertificateFile, KeyFile or CaFile is set: remove the files to run without TLS, or the opt-out to use them.");
            }
        }
        else if (tls.AnyFileSet)
        {
            material = ClusterTlsMaterial.TryLoad(
                new TlsFile(Prefix + nameof(OrleansTlsSettings.CertificateFile), tls.CertificateFile),
                new TlsFile(Prefix + nameof(OrleansTlsSettings.KeyFile), tls.KeyFile),
                new TlsFile(Prefix + nameof(OrleansTlsSettings.CaFile), tls.CaFile),
                forServer: true,
                failures);
        }
        else if (clusterMode)
        {
            failures.Add(
                $"cluster mode (ConnectionStrings:Postgres) needs mutual TLS between silos and clients: set {Prefix}CertificateFile, " +
                $"{Prefix}KeyFile and {Prefix}CaFile (PEM files; compose.yaml shows how to make them), or {Prefix}Disabled=true " +
                "on a network where every host that can reach the silo and gateway ports is trusted.");
        }
        else
        {
            material = ClusterTlsMaterial.Ephemeral(EphemeralSubject, EphemeralValidity);
        }

        return failures.Count == 0 ? material : throw new OptionsValidationException(OrleansTlsSettings.SectionName, typeof(OrleansTlsSettings), failures);
    }

    /// <summary>
    /// Every silo-to-silo and client-to-silo connection is TLS with a certificate from both ends that chains to the
    /// CA. The silo port takes only silo certificates (allowed for server authentication), so a client's certificate
    /// (client authentication only) opens the gateway and nothing else. A throwaway material (one node) covers the silo
    /// port only: the one-node gateway stays plain TCP on loopback, as documented.
    /// </summary>
    public static void UseClusterTls(this ISiloBuilder silo, ClusterTlsMaterial material)
    {
        // Made by a factory (so disposed with the host once resolved: the start log resolves it).
        silo.Services.AddSingleton(_ => material);
        silo.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(c => c.UseServerTls(Options(material, peerMustBeSilo: true)));
            if (!material.IsEphemeral)
            {
                o.ConfigureGatewayInboundConnection(c => c.UseServerTls(Options(material, peerMustBeSilo: false)));
            }

            o.ConfigureSiloOutboundConnection(c => c.UseClientTls(Options(material, peerMustBeSilo: true)));
        });
    }

    private static TlsOptions Options(ClusterTlsMaterial material, bool peerMustBeSilo) => new()
    {
        LocalCertificate = material.Certificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        RemoteCertificateValidation = (certificate, chain, _) => material.Accepts(certificate, chain, peerMustBeSilo),
    };
}
