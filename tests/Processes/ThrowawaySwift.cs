using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace AgentSnapshots.Tests.Processes;

/// <summary>
/// A real S3-compatible server for the S3 backend's tests and benchmark: OpenStack Swift (Debian's <c>swift-proxy</c>,
/// <c>swift-object</c>, <c>swift-container</c>, <c>swift-account</c>) with its <c>s3api</c> middleware and
/// <c>tempauth</c>, one replica on one device, its proxy, account, container and object servers run as child processes
/// on free loopback ports with their configuration, rings and data in a temp directory, killed and deleted on dispose.
/// tempauth keeps its tokens in memcached (Debian's <c>memcached</c>), run beside them on a free port too.
/// S3 clients sign with <see cref="AccessKey"/> / <see cref="SecretKey"/> (tempauth's <c>test:tester</c>) and address
/// buckets by path (<see cref="ServiceUrl"/>/bucket/key). Missing packages fail with a clear message.
/// </summary>
public sealed class ThrowawaySwift : IAsyncDisposable
{
    /// <summary>The S3 access key id: tempauth's account:user.</summary>
    public const string AccessKey = "test:tester";

    /// <summary>The S3 secret: tempauth's key for that user.</summary>
    public const string SecretKey = "testing";

    private const string Packages = "swift-proxy swift-object swift-container swift-account memcached";

    // Swift reads its hash path prefix/suffix and storage policies from here whatever swift_dir says; the Debian
    // package installs one.
    private const string SwiftConf = "/etc/swift/swift.conf";

    private const string Memcached = "memcached";

    private static readonly string[] Servers = ["account", "container", "object", "proxy"];

    private readonly Dictionary<string, Process> _running = [];
    private readonly Dictionary<string, int> _ports = [];
    private string? _tempDir;

    /// <summary>The S3 endpoint, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public string ServiceUrl => $"http://127.0.0.1:{_ports["proxy"].ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Whether the S3 endpoint (the proxy server) is running: <see cref="StopProxy"/> takes it away.</summary>
    public bool IsProxyRunning => _running.TryGetValue("proxy", out var proxy) && !proxy.HasExited;

    /// <summary>
    /// Writes the configuration and rings, starts the four servers and waits until S3 requests are served. A start
    /// that does not serve in time (seen once under a full test run's load, with every server alive and silent) is
    /// abandoned and made once more from scratch, on fresh ports in a fresh directory.
    /// </summary>
    public async Task StartAsync()
    {
        CheckPrerequisites();
        const int attempts = 2;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync();
                return;
            }
            catch (TimeoutException) when (attempt < attempts)
            {
                StopAndDelete();
            }
        }
    }

    private static void CheckPrerequisites()
    {
        foreach (var program in Servers.Select(server => $"swift-{server}-server").Append(Memcached))
        {
            if (FindOnPath(program) is null)
            {
                throw new InvalidOperationException(
                    $"The S3 tests need OpenStack Swift and memcached, but {program} is not on PATH. " +
                    $"Install them (Debian/Ubuntu: apt-get install {Packages}).");
            }
        }

        if (!File.Exists(SwiftConf))
        {
            throw new InvalidOperationException(
                $"The S3 tests need {SwiftConf} (its [swift-hash] section), which the swift package installs: " +
                $"reinstall it (apt-get install --reinstall swift).");
        }
    }

    private async Task StartOnceAsync()
    {
        _tempDir = Directory.CreateTempSubdirectory("as-swift-").FullName;
        var device = Path.Combine(_tempDir, "devices", "d1");
        Directory.CreateDirectory(device);
        await CheckUserXattrsAsync(device);

        foreach (var server in Servers.Append(Memcached))
        {
            _ports[server] = LoopbackPort.Free();
        }

        await BuildRingsAsync();
        foreach (var server in Servers)
        {
            await File.WriteAllTextAsync(ConfigPath(server), server == "proxy" ? ProxyConfig() : StorageServerConfig(server));
        }

        Launch(Memcached, Memcached, ["-l", "127.0.0.1", "-p", _ports[Memcached].ToString(CultureInfo.InvariantCulture), "-U", "0", "-m", "64", "-u", Environment.UserName]);
        foreach (var server in Servers)
        {
            Launch(server);
        }

        await WaitUntilServingAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Kills the proxy server: S3 requests are refused until <see cref="StartProxyAsync"/> (the stored data stays).</summary>
    public void StopProxy()
    {
        if (_running.Remove("proxy", out var proxy))
        {
            Kill(proxy);
        }
    }

    /// <summary>Starts the proxy server again on the same port and waits until it serves.</summary>
    public async Task StartProxyAsync()
    {
        if (!IsProxyRunning)
        {
            Launch("proxy");
        }

        await WaitUntilServingAsync(TimeSpan.FromSeconds(120));
    }

    /// <summary>What the servers printed (their console logs), for a failing test's message.</summary>
    public string Logs()
    {
        if (_tempDir is null)
        {
            return "";
        }

        var sb = new StringBuilder();
        foreach (var server in Servers.Append(Memcached))
        {
            var log = LogPath(server);
            if (File.Exists(log))
            {
                sb.Append("== ").Append(server).AppendLine(" ==");
                var text = File.ReadAllText(log);
                sb.AppendLine(text.Length > 4000 ? text[^4000..] : text);
            }
        }

        return sb.ToString();
    }

    public ValueTask DisposeAsync()
    {
        StopAndDelete();
        return ValueTask.CompletedTask;
    }

    private void StopAndDelete()
    {
        foreach (var process in _running.Values)
        {
            Kill(process);
        }

        _running.Clear();
        _ports.Clear();
        if (_tempDir is not null)
        {
            try
            {
                Directory.Delete(_tempDir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            _tempDir = null;
        }
    }

    private string ConfigPath(string server) => Path.Combine(_tempDir!, $"{server}-server.conf");

    private string LogPath(string server) => Path.Combine(_tempDir!, $"{server}.log");

    // -v copies a Swift server's log to the console, which goes to a file we read when something fails (there is no syslog here).
    private void Launch(string server) => Launch(server, $"swift-{server}-server", [ConfigPath(server), "-v"]);

    private void Launch(string name, string program, IReadOnlyList<string> args)
    {
        // exec: the program replaces the shell, so killing the process kills the server.
        var psi = new ProcessStartInfo("sh")
        {
            UseShellExecute = false,
            WorkingDirectory = _tempDir!,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("log=$1; shift; exec \"$@\" >>\"$log\" 2>&1");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(LogPath(name));
        psi.ArgumentList.Add(program);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        _running[name] = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {program}.");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            foreach (var (server, process) in _running)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{server} exited ({process.ExitCode}) while starting:\n{Logs()}");
                }
            }

            var silent = await NotListeningAsync();
            if (silent.Count == 0 && await ProxyHealthyAsync(http))
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                var what = silent.Count == 0 ? "every server accepts connections but the proxy's healthcheck fails" : $"not accepting connections: {string.Join(", ", silent)}";
                throw new TimeoutException($"Swift did not start serving within {timeout.TotalSeconds:0} s ({what}):\n{Logs()}");
            }

            await Task.Delay(200);
        }
    }

    private async Task<List<string>> NotListeningAsync()
    {
        var silent = new List<string>();
        foreach (var (server, port) in _ports)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
            }
            catch (SocketException)
            {
                silent.Add($"{server} (port {port.ToString(CultureInfo.InvariantCulture)})");
            }
        }

        return silent;
    }

    private async Task<bool> ProxyHealthyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"{ServiceUrl}/healthcheck"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private async Task BuildRingsAsync()
    {
        // One partition power of 6, one replica, one device per ring: a server that stores each object once.
        foreach (var (ring, server) in new[] { ("account", "account"), ("container", "container"), ("object", "object") })
        {
            var builder = Path.Combine(_tempDir!, $"{ring}.builder");
            await RunAsync("swift-ring-builder", [builder, "create", "6", "1", "1"]);
            await RunAsync("swift-ring-builder", [builder, "add", "--region", "1", "--zone", "1", "--ip", "127.0.0.1",
                "--port", _ports[server].ToString(CultureInfo.InvariantCulture), "--device", "d1", "--weight", "1"]);
            // rebalance exits 1 with a warning when nothing moved; the ring file is what matters.
            await RunAsync("swift-ring-builder", [builder, "rebalance"], allowedExitCodes: [0, 1]);
            if (!File.Exists(Path.Combine(_tempDir!, $"{ring}.ring.gz")))
            {
                throw new InvalidOperationException($"swift-ring-builder made no {ring} ring in {_tempDir}.");
            }
        }
    }

    private string CommonSettings(string server) =>
        string.Join('\n',
            "[DEFAULT]",
            "bind_ip = 127.0.0.1",
            $"bind_port = {_ports[server].ToString(CultureInfo.InvariantCulture)}",
            // One process per server (no forked workers): killing it stops the server.
            "workers = 0",
            $"user = {Environment.UserName}",
            $"swift_dir = {_tempDir}",
            $"devices = {Path.Combine(_tempDir!, "devices")}",
            // The device is a plain directory, not a mount point.
            "mount_check = false",
            "disable_fallocate = true",
            "log_level = WARNING",
            "");

    private string StorageServerConfig(string server) =>
        CommonSettings(server) + string.Join('\n',
            "[pipeline:main]",
            $"pipeline = {server}-server",
            $"[app:{server}-server]",
            $"use = egg:swift#{server}",
            $"[{server}-replicator]",
            $"[{server}-updater]",
            $"[{server}-auditor]",
            "");

    private string ProxyConfig() =>
        CommonSettings("proxy") + string.Join('\n',
            "[pipeline:main]",
            // s3api before the auth middleware it hands signed requests to; slo for multipart uploads.
            // cache: tempauth refuses to work without memcache.
            "pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server",
            "[app:proxy-server]",
            "use = egg:swift#proxy",
            "account_autocreate = true",
            "[filter:tempauth]",
            "use = egg:swift#tempauth",
            $"user_{AccessKey.Replace(':', '_')} = {SecretKey} .admin",
            "[filter:s3api]",
            "use = egg:swift#s3api",
            "location = us-east-1",
            "[filter:cache]",
            "use = egg:swift#memcache",
            $"memcache_servers = 127.0.0.1:{_ports[Memcached].ToString(CultureInfo.InvariantCulture)}",
            "[filter:catch_errors]",
            "use = egg:swift#catch_errors",
            "[filter:gatekeeper]",
            "use = egg:swift#gatekeeper",
            "[filter:healthcheck]",
            "use = egg:swift#healthcheck",
            "[filter:proxy-logging]",
            "use = egg:swift#proxy_logging",
            "[filter:listing_formats]",
            "use = egg:swift#listing_formats",
            "[filter:copy]",
            "use = egg:swift#copy",
            "[filter:slo]",
            "use = egg:swift#slo",
            "[filter:dlo]",
            "use = egg:swift#dlo",
            "[filter:versioned_writes]",
            "use = egg:swift#versioned_writes",
            "");

    private static async Task CheckUserXattrsAsync(string directory)
    {
        // The object server keeps each object's metadata in user extended attributes; tmpfs without user_xattr or
        // some overlay set-ups lack them. Swift is Python, so python3 is there to ask.
        var run = await ProcessRunner.RunAsync("python3",
            ["-c", "import os, sys; os.setxattr(sys.argv[1], 'user.agentsnapshots', b'1')", directory], Path.GetTempPath());
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"Swift stores object metadata in user extended attributes, which {directory} does not support " +
                $"({run.Stderr.Trim()}). Point TMPDIR at a file system that has them (ext4, xfs).");
        }
    }

    private async Task RunAsync(string program, IReadOnlyList<string> args, int[]? allowedExitCodes = null)
    {
        var run = await ProcessRunner.RunAsync(program, args, _tempDir!);
        if (!(allowedExitCodes ?? [0]).Contains(run.ExitCode))
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({run.ExitCode}): {run.Stderr}{run.Stdout}");
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
