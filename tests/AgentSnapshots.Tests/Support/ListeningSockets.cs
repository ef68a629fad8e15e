using System.Globalization;
using System.Net;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// The TCP ports a process listens on, as the kernel reports them: its socket inodes (<c>/proc/PID/fd</c>) matched
/// against the LISTEN entries of <c>/proc/PID/net/tcp</c> and <c>tcp6</c>. What is reachable, not what was configured.
/// </summary>
public static class ListeningSockets
{
    private const string ListenState = "0A";

    public static List<IPEndPoint> Of(int processId)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(target["socket:[".Length..^1]);
            }
        }

        var listening = new List<IPEndPoint>();
        foreach (var table in new[] { "tcp", "tcp6" })
        {
            foreach (var line in File.ReadLines($"/proc/{processId}/net/{table}").Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == ListenState && inodes.Contains(fields[9]))
                {
                    listening.Add(ParseEndPoint(fields[1]));
                }
            }
        }

        return listening;
    }

    /// <summary><c>0100007F:1F90</c> (IPv4) or 32 hex digits (IPv6): the address in 32-bit words of host byte order, then the port.</summary>
    private static IPEndPoint ParseEndPoint(string field)
    {
        var (address, port) = (field[..field.IndexOf(':', StringComparison.Ordinal)], field[(field.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        var bytes = Convert.FromHexString(address);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }

        return new IPEndPoint(new IPAddress(bytes), int.Parse(port, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
