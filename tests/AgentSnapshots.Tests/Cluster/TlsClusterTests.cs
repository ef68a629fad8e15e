using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AgentSnapshots.Client;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Mutual TLS in a real two-silo cluster (<see cref="TlsClusterFixture"/>): calls travel client to silo and silo to
/// silo over it; a client without a certificate, a client with another CA's certificate and a silo with another CA's
/// certificate are all refused, and the cluster serves on.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class TlsClusterTests(TlsClusterFixture cluster) : IClassFixture<TlsClusterFixture>
{
    [Fact]
    public async Task A_track_through_one_silo_and_history_through_the_other_are_served()
    {
        var ct = TestContext.Current.CancellationToken;
        using var first = SdkHost(cluster.First.GatewayPort, ClusterCertificates.Ours.ConfigureClient);
        using var second = SdkHost(cluster.Second.GatewayPort, ClusterCertificates.Ours.ConfigureClient);
        await first.StartAsync(ct);
        await second.StartAsync(ct);
        var throughFirst = first.Services.GetRequiredService<IAgentSnapshotsClient>();
        var throughSecond = second.Services.GetRequiredService<IAgentSnapshotsClient>();

        // Each session's grains live on one silo: for every session, one of the two calls crosses from silo to silo.
        for (var i = 0; i < 4; i++)
        {
            var ws = Directory.CreateDirectory(Path.Combine(cluster.Root, $"served{i}")).FullName;
            File.WriteAllText(Path.Combine(ws, "a.txt"), $"session {i}\n");
            var tracked = await throughFirst.TrackAsync($"served-{i}", ws, "one", ct);
            var history = await throughSecond.HistoryAsync($"served-{i}", ct);
            Assert.Equal((ws, tracked.Hash), (history.Workspace, Assert.Single(history.Snapshots).Hash));
        }

        Assert.Equal(2, await cluster.ActiveSilosAsync());
        Assert.All([cluster.First, cluster.Second], silo => Assert.Contains("mutual TLS as CN=agentsnapshots-silo", silo.Output, StringComparison.Ordinal));
        await first.StopAsync(ct);
        await second.StopAsync(ct);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;

        // The SDK speaking plain TCP to a TLS gateway.
        using var plain = SdkHost(cluster.First.GatewayPort, _ => { });
        await Assert.ThrowsAnyAsync<Exception>(() => plain.StartAsync(ct));

        // A client that speaks TLS and trusts the silo, but has no certificate of its own to show.
        using var anonymous = OrleansClientHost(cluster.First.GatewayPort, o =>
        {
            o.ClientCertificateMode = RemoteCertificateMode.NoCertificate;
            o.AllowAnyRemoteCertificate();
        });
        await Assert.ThrowsAnyAsync<Exception>(() => anonymous.StartAsync(ct));

        Assert.False(cluster.First.HasExited);
    }

    [Fact]
    public async Task A_client_with_a_certificate_from_another_ca_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;

        // Another CA's client certificate, presented by a client that would accept any silo.
        using var foreign = X509Certificate2.CreateFromPemFile(ClusterCertificates.Foreign.ClientCertificateFile, ClusterCertificates.Foreign.ClientKeyFile);
        using var stranger = OrleansClientHost(cluster.Second.GatewayPort, o =>
        {
            o.LocalCertificate = foreign;
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.AllowAnyRemoteCertificate();
        });
        await Assert.ThrowsAnyAsync<Exception>(() => stranger.StartAsync(ct));

        // The SDK set up entirely from the other CA: it refuses the silos, and they refuse it.
        using var sdk = SdkHost(cluster.Second.GatewayPort, ClusterCertificates.Foreign.ConfigureClient);
        await Assert.ThrowsAnyAsync<Exception>(() => sdk.StartAsync(ct));

        // Our own CA's client certificate still gets in, through the same gateway.
        using var member = OrleansClientHost(cluster.Second.GatewayPort, o =>
        {
            o.LocalCertificate = X509Certificate2.CreateFromPemFile(ClusterCertificates.Ours.ClientCertificateFile, ClusterCertificates.Ours.ClientKeyFile);
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.AllowAnyRemoteCertificate();
        });
        await member.StartAsync(ct);
        await member.StopAsync(ct);
    }

    [Fact]
    public async Task A_silo_with_a_certificate_from_another_ca_cannot_join()
    {
        var ct = TestContext.Current.CancellationToken;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => SiloProcess.StartAsync(cluster.DataDir, cluster.Root, cluster.Root, cluster.SiloSettings(ClusterCertificates.Foreign)));

        // Each side refused the other's certificate; the cluster declared the newcomer dead (Orleans then ends it at
        // once), and it never became active.
        Assert.DoesNotContain("exited (0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("The remote certificate was rejected by the provided RemoteCertificateValidationCallback", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, await cluster.ActiveSilosAsync());

        // The cluster serves on.
        using var client = SdkHost(cluster.First.GatewayPort, ClusterCertificates.Ours.ConfigureClient);
        await client.StartAsync(ct);
        var ws = Directory.CreateDirectory(Path.Combine(cluster.Root, "after-intruder")).FullName;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "still here\n");
        var tracked = await client.Services.GetRequiredService<IAgentSnapshotsClient>().TrackAsync("after-intruder", ws, "one", ct);
        Assert.Equal(40, tracked.Hash.Length);
        await client.StopAsync(ct);
    }

    [Fact]
    public async Task The_silo_port_takes_only_silo_certificates_and_the_gateway_takes_client_certificates()
    {
        var ours = ClusterCertificates.Ours;
        using var client = ours.LoadClientCertificate();
        using var silo = X509Certificate2.CreateFromPemFile(ours.SiloCertificateFile, ours.SiloKeyFile);

        Assert.False(await HandshakeHeldOpenAsync(cluster.FirstSiloPort, client, silo), "a client certificate opened the silo port");
        Assert.True(await HandshakeHeldOpenAsync(cluster.FirstSiloPort, silo, silo), "a silo certificate was refused on the silo port");
        Assert.True(await HandshakeHeldOpenAsync(cluster.First.GatewayPort, client, silo), "a client certificate was refused on the gateway");
    }

    [Fact]
    public async Task A_certificate_of_our_ca_without_extended_key_usage_opens_the_gateway_but_not_the_silo_port()
    {
        var ours = ClusterCertificates.Ours;
        using var silo = X509Certificate2.CreateFromPemFile(ours.SiloCertificateFile, ours.SiloKeyFile);
        using var withoutUsage = IssueWithoutExtendedKeyUsage(ours);

        // RFC 5280 reads "no extension" as "any use"; a silo must say it is one.
        Assert.False(await HandshakeHeldOpenAsync(cluster.FirstSiloPort, withoutUsage, silo), "a certificate without extended key usage opened the silo port");
        Assert.True(await HandshakeHeldOpenAsync(cluster.First.GatewayPort, withoutUsage, silo), "the gateway refused a client certificate of our CA without extended key usage");
        Assert.True(await HandshakeHeldOpenAsync(cluster.FirstSiloPort, silo, silo), "a silo certificate was refused on the silo port");
    }

    /// <summary>A certificate our CA issues (with the key scripts/cluster-certificates.sh left beside it) with no extended key usage extension.</summary>
    private static X509Certificate2 IssueWithoutExtendedKeyUsage(ClusterCertificates ca)
    {
        using var authority = X509Certificate2.CreateFromPemFile(ca.CaFile, Path.Combine(ca.Directory, "ca.key"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=agentsnapshots-no-usage", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        // Not before the CA itself (made moments ago by this run).
        using var issued = request.Create(authority, authority.NotBefore, DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Whether the port held a connection open after a TLS handshake showing <paramref name="certificate"/> (the silo must show <paramref name="expectedSilo"/>).</summary>
    private static Task<bool> HandshakeHeldOpenAsync(int port, X509Certificate2 certificate, X509Certificate2 expectedSilo) =>
        TlsHandshake.HeldOpenAsync(port, certificate, shown => shown?.GetCertHashString() == expectedSilo.GetCertHashString());

    /// <summary>The SDK on one gateway, failing at once when it cannot connect.</summary>
    private static IHost SdkHost(int gatewayPort, Action<AgentSnapshotsClientOptions> tls)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAgentSnapshotsClient(o =>
        {
            o.Gateways.Add($"127.0.0.1:{gatewayPort}");
            o.ConnectRetryTime = TimeSpan.Zero;
            tls(o);
        });
        return builder.Build();
    }

    /// <summary>A plain Orleans client of the cluster (not the SDK), on one gateway, with the TLS the test gives it.</summary>
    private static IHost OrleansClientHost(int gatewayPort, Action<TlsOptions> tls)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, gatewayPort));
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("agentsnapshots", "agentsnapshots"));
            client.UseTls(tls);
            // A refused connection is the answer: no retrying.
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
        });
        return builder.Build();
    }
}
