namespace AgentSnapshots;

/// <summary>
/// Awaits a workspace call that writes a session's rows. If it fails, the rows may or may not have been written (a
/// restore's safety snapshot is recorded even when the restore fails, a reply may be lost): the session's activation
/// ends, so the next call reads the history from storage instead of trusting the activation's copy. Shared by the
/// session grain's track and its restore flow (<see cref="SessionRestore"/>).
/// </summary>
internal sealed class SessionWrites(Action endActivation)
{
    public async Task<T> RecordingAsync<T>(Task<T> call)
    {
        try
        {
            return await call;
        }
        catch
        {
            endActivation();
            throw;
        }
    }
}
