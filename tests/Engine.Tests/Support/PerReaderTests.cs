namespace AgentSnapshots.Tests.Support;

/// <summary>
/// Tests that run once per directory reader: the Linux directory-handle reader (the default here) and the portable
/// one other systems use (each concrete class picks one), over a fresh <see cref="WorkspaceFixture"/>.
/// </summary>
public abstract class PerReaderTests : IDisposable
{
    protected PerReaderTests(bool portable)
    {
        Portable = portable;
        Ws = new WorkspaceFixture(portable: portable);
    }

    /// <summary>Whether these tests read through the portable reader.</summary>
    protected bool Portable { get; }

    protected WorkspaceFixture Ws { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) Ws.Dispose();
    }
}
