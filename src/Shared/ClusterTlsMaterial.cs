using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AgentSnapshots.Tls;

/// <summary>A PEM file named by a setting: errors name the setting, so an operator knows which line to fix.</summary>
internal readonly record struct TlsFile(string Setting, string? Path);

/// <summary>
/// The mutual TLS material of one cluster member (silo or client): its own certificate with its private key, and the
/// certificate authorities every peer's certificate must chain to. Only those authorities are trusted (not the system
/// store), and host names are not checked: peers are reached at addresses from the membership table, and holding a
/// certificate the cluster's CA issued is what makes a member. Linked into the silo and the SDK.
/// </summary>
internal sealed class ClusterTlsMaterial : IDisposable
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private ClusterTlsMaterial(X509Certificate2 certificate, X509Certificate2Collection authorities, bool ephemeral = false)
    {
        Certificate = certificate;
        Authorities = authorities;
        IsEphemeral = ephemeral;
    }

    /// <summary>This member's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate authorities (from the CA file) peers' certificates must chain to.</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>
    /// Made in memory at start by <see cref="Ephemeral"/>: peers must show this very certificate, which no other
    /// process holds the key of.
    /// </summary>
    public bool IsEphemeral { get; }

    /// <summary>
    /// A throwaway self-signed certificate (ECDSA P-256, server and client authentication, valid for
    /// <paramref name="validity"/>) whose key lives only in this process's memory: a one-node silo's silo port, which
    /// nothing but the silo itself connects to, accepts only it, so another local user cannot pose as a silo.
    /// </summary>
    public static ClusterTlsMaterial Ephemeral(string subject, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthentication), new Oid(ClientAuthentication)], critical: false));
        var now = DateTimeOffset.UtcNow;
        // Backdated a little: the peer (this same process) checks validity against the same clock, but not to the tick.
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity));
        return new ClusterTlsMaterial(certificate, [], ephemeral: true);
    }

    /// <summary>
    /// Loads the three PEM files, or adds to <paramref name="failures"/> one line per wrong file (naming its setting:
    /// missing, unreadable, not PEM, a key that does not match, a certificate the CA did not issue or that has
    /// expired, a certificate not meant for what this member does) and returns null. <paramref name="forServer"/>: a
    /// silo's certificate, which accepts connections as well as making them.
    /// </summary>
    public static ClusterTlsMaterial? TryLoad(TlsFile certificateFile, TlsFile keyFile, TlsFile caFile, bool forServer, List<string> failures)
    {
        var authorities = LoadAuthorities(caFile, failures);
        var certificatePem = ReadPem(certificateFile, failures);
        var keyPem = ReadPem(keyFile, failures);
        if (authorities is null || certificatePem is null || keyPem is null)
        {
            return null;
        }

        X509Certificate2 publicOnly;
        try
        {
            publicOnly = X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (CryptographicException e)
        {
            failures.Add($"{certificateFile.Setting} '{certificateFile.Path}' holds no PEM certificate ({e.Message}): give the member's certificate (-----BEGIN CERTIFICATE-----).");
            return null;
        }

        X509Certificate2 certificate;
        using (publicOnly)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                failures.Add($"{keyFile.Setting} '{keyFile.Path}' is not the unencrypted PEM private key of the certificate in {certificateFile.Setting} ({e.Message}).");
                return null;
            }
        }

        var material = new ClusterTlsMaterial(certificate, authorities);
        if (!material.IsIssued(certificate, presented: null, out var status))
        {
            failures.Add($"{certificateFile.Setting} '{certificateFile.Path}' does not chain to the CA in {caFile.Setting} '{caFile.Path}' ({status}): peers would refuse it; issue it from that CA, and renew it if it expired.");
            material.Dispose();
            return null;
        }

        var (purpose, allowed) = forServer
            ? ("server and client authentication (a silo both accepts and makes connections; other silos require the extension to name server authentication)", NamesUse(certificate, ServerAuthentication) && NamesUse(certificate, ClientAuthentication))
            : ("client authentication", AllowsUse(certificate, ClientAuthentication));
        if (!allowed)
        {
            failures.Add($"{certificateFile.Setting} '{certificateFile.Path}': its extended key usage does not allow {purpose}.");
            material.Dispose();
            return null;
        }

        return material;
    }

    /// <summary>A peer's certificate is accepted when it chains to one of <see cref="Authorities"/>, now.</summary>
    /// <param name="peer">The certificate the peer presented.</param>
    /// <param name="presented">The chain TLS built for it (its intermediates are used; its trust verdict is not).</param>
    /// <param name="mustBeSilo">
    /// The peer connects to the silo port (or is the silo a client reaches): its certificate must name server
    /// authentication in its extended key usage, as a silo's does; a certificate without the extension is refused.
    /// </param>
    /// <remarks>An <see cref="IsEphemeral"/> material accepts only its own certificate.</remarks>
    public bool Accepts(X509Certificate2 peer, X509Chain? presented, bool mustBeSilo) =>
        IsEphemeral
            ? peer.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span)
            : IsIssued(peer, presented, out _) && (!mustBeSilo || NamesUse(peer, ServerAuthentication));

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var authority in Authorities)
        {
            authority.Dispose();
        }
    }

    private bool IsIssued(X509Certificate2 certificate, X509Chain? presented, out string status)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Authorities);
        // A throwaway CA publishes no revocation lists; rotating the CA is how a member is removed.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var built = chain.Build(certificate);
        status = built ? "" : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return built;
    }

    /// <summary>A certificate without an extended key usage extension may be used for anything (RFC 5280).</summary>
    private static bool AllowsUse(X509Certificate2 certificate, string usage) =>
        ExtendedKeyUsage(certificate) is not { } extension || extension.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == usage);

    /// <summary>
    /// The certificate's extended key usage extension is present and names <paramref name="usage"/>. A silo's
    /// certificate must say it is one: otherwise a client certificate minted without the extension would open the
    /// silo port.
    /// </summary>
    private static bool NamesUse(X509Certificate2 certificate, string usage) =>
        ExtendedKeyUsage(certificate) is { } extension && extension.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == usage);

    private static X509EnhancedKeyUsageExtension? ExtendedKeyUsage(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();

    private static X509Certificate2Collection? LoadAuthorities(TlsFile caFile, List<string> failures)
    {
        var pem = ReadPem(caFile, failures);
        if (pem is null)
        {
            return null;
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            failures.Add($"{caFile.Setting} '{caFile.Path}' is not a PEM certificate bundle ({e.Message}): give the CA certificate(s) that issue the cluster's certificates.");
            return null;
        }

        if (authorities.Count == 0)
        {
            failures.Add($"{caFile.Setting} '{caFile.Path}' holds no PEM certificate: give the CA certificate(s) that issue the cluster's certificates (-----BEGIN CERTIFICATE-----).");
            return null;
        }

        return authorities;
    }

    private static string? ReadPem(TlsFile file, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(file.Path))
        {
            failures.Add($"{file.Setting} is not set: give the path of a PEM file.");
            return null;
        }

        try
        {
            return File.ReadAllText(file.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            failures.Add($"{file.Setting} '{file.Path}' cannot be read: {e.Message}");
            return null;
        }
    }
}
