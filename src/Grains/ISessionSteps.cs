using Orleans.Concurrency;

namespace AgentSnapshots;

/// <summary>How a diff worker hands a session the stats of one of its steps, computed off the request path. Internal.</summary>
internal interface ISessionSteps : IGrainWithStringKey
{
    /// <summary>Stores the stats of the step that took <paramref name="hash"/>, against <paramref name="from"/>.</summary>
    [OneWay]
    Task RecordStepAsync(string hash, string from, StepStats stats);
}
