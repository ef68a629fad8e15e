using System.Net;
using System.Net.Sockets;

namespace AgentSnapshots.Tests.Processes;

/// <summary>Ports for servers the tests and the benchmark start on this machine.</summary>
public static class LoopbackPort
{
    /// <summary>A TCP port on the loopback interface that nothing listens on now (the system picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
