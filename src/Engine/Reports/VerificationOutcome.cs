namespace AgentSnapshots.Engine.Reports;

/// <summary>What one verification of the watcher's view concluded.</summary>
public enum VerificationOutcome
{
    /// <summary>The watcher's view and the walk agree (every difference is explained by an event a track will apply).</summary>
    Agreed,
    /// <summary>The watcher missed changes: logged, counted, and the next track walks in full.</summary>
    Mismatch,
    /// <summary>No verdict: the watches were lost or released meanwhile, ignore rules above the root changed, or too much changed.</summary>
    Inconclusive,
}
