using System.Diagnostics;
using System.Globalization;

namespace AgentSnapshots.Bench;

/// <summary>A child command's wall time and peak resident memory (GNU time's %M, or sampled /proc VmHWM without it).</summary>
internal sealed record Measured(TimeSpan Wall, long PeakBytes, string Output)
{
    private const string GnuTime = "/usr/bin/time";

    public static Measured Run(string workingDirectory, string? stdin, string file, params string[] args) =>
        Run(workingDirectory, stdin, keepOutput: true, file, args);

    /// <summary>Like <see cref="Run(string, string?, string, string[])"/>; without <paramref name="keepOutput"/> stdout is read and dropped, as a pipe to /dev/null would.</summary>
    public static Measured Run(string workingDirectory, string? stdin, bool keepOutput, string file, params string[] args)
    {
        var useTime = File.Exists(GnuTime);
        var psi = new ProcessStartInfo(useTime ? GnuTime : file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        if (useTime)
        {
            psi.ArgumentList.Add("-f");
            psi.ArgumentList.Add("maxrss-kib=%M");
            psi.ArgumentList.Add(file);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdoutTask = keepOutput ? p.StandardOutput.ReadToEndAsync() : Drain(p.StandardOutput.BaseStream);
        var stderrTask = p.StandardError.ReadToEndAsync();
        long sampledPeak = 0;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        while (!p.WaitForExit(5))
        {
            if (!useTime)
            {
                try { sampledPeak = Math.Max(sampledPeak, ProcessMemory.PeakBytes(p.Id)); }
                catch (IOException) { }
                catch (InvalidOperationException) { }
            }
        }
        sw.Stop();
        var stdout = stdoutTask.Result;
        var stderr = stderrTask.Result;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {stderr}");
        var peak = sampledPeak;
        var marker = stderr.LastIndexOf("maxrss-kib=", StringComparison.Ordinal);
        if (useTime && marker >= 0)
        {
            peak = long.Parse(stderr[(marker + "maxrss-kib=".Length)..].Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        return new Measured(sw.Elapsed, peak, stdout);
    }

    private static async Task<string> Drain(Stream output)
    {
        await output.CopyToAsync(Stream.Null);
        return "";
    }
}
