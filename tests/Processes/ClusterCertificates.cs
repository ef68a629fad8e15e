using System.Diagnostics;

namespace AgentSnapshots.Tests.Processes;

/// <summary>
/// A cluster's mutual TLS material made by <c>scripts/cluster-certificates.sh</c> (the script compose runs, with the
/// real openssl): a CA, a silo certificate and a client certificate. Made once per process (test run or benchmark)
/// for each CA (<see cref="Ours"/> and a <see cref="Foreign"/> one), deleted when the process ends.
/// </summary>
public sealed class ClusterCertificates
{
    private static readonly Lazy<ClusterCertificates> OursLazy = new(() => Make("ours"));
    private static readonly Lazy<ClusterCertificates> ForeignLazy = new(() => Make("foreign"));

    private ClusterCertificates(string directory) => Directory = directory;

    /// <summary>The CA the tests' clusters trust.</summary>
    public static ClusterCertificates Ours => OursLazy.Value;

    /// <summary>Another CA with its own silo and client certificates: nothing of it may get into a cluster of <see cref="Ours"/>.</summary>
    public static ClusterCertificates Foreign => ForeignLazy.Value;

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string SiloCertificateFile => Path.Combine(Directory, "silo.pem");

    public string SiloKeyFile => Path.Combine(Directory, "silo.key");

    public string ClientCertificateFile => Path.Combine(Directory, "client.pem");

    public string ClientKeyFile => Path.Combine(Directory, "client.key");

    /// <summary>A silo's <c>Orleans:Tls:*</c> settings, as configuration keys (<c>:</c>) or environment variables (<c>__</c>).</summary>
    public Dictionary<string, string> SiloSettings(string separator = "__") => new()
    {
        [$"Orleans{separator}Tls{separator}CertificateFile"] = SiloCertificateFile,
        [$"Orleans{separator}Tls{separator}KeyFile"] = SiloKeyFile,
        [$"Orleans{separator}Tls{separator}CaFile"] = CaFile,
    };

    /// <summary>A silo's <c>Orleans:Tls:*</c> settings for an in-memory configuration source.</summary>
    public IEnumerable<KeyValuePair<string, string?>> SiloConfiguration() =>
        SiloSettings(":").Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value));

    /// <summary>The client certificate with its key, for a plain Orleans client (not the SDK).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 LoadClientCertificate() =>
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(ClientCertificateFile, ClientKeyFile);

    private static ClusterCertificates Make(string name)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"as-tls-{name}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        var script = Path.Combine(AppContext.BaseDirectory, "cluster-certificates.sh");
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(directory);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start sh");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? new ClusterCertificates(directory)
            : throw new InvalidOperationException($"{script} failed ({process.ExitCode}); clusters with mutual TLS need openssl on PATH to make their certificates:\n{stdout}{stderr.Result}");
    }
}
