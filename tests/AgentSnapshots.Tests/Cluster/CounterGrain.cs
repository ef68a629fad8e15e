namespace AgentSnapshots.Tests.Cluster;

/// <summary>A tiny persistent grain for the PostgreSQL storage and cluster tests.</summary>
public interface IPgCounterGrain : IGrainWithStringKey
{
    Task<CounterView> Add(int delta);

    Task<CounterView> Get();

    Task<CounterView> Clear();

    Task Deactivate();
}

[GenerateSerializer]
public sealed record CounterView(
    [property: Id(0)] int Value,
    [property: Id(1)] int Writes,
    [property: Id(2)] string? ETag,
    [property: Id(3)] bool RecordExists,
    [property: Id(4)] string Silo);

public sealed class CounterState
{
    public int Value { get; set; }

    public int Writes { get; set; }
}

public sealed class PgCounterGrain(
    [PersistentState("counter", PgCounterGrain.StorageName)] IPersistentState<CounterState> state) : Grain, IPgCounterGrain
{
    public const string StorageName = "snapshots";

    public async Task<CounterView> Add(int delta)
    {
        state.State.Value += delta;
        state.State.Writes++;
        await state.WriteStateAsync();
        return View();
    }

    public Task<CounterView> Get() => Task.FromResult(View());

    public async Task<CounterView> Clear()
    {
        await state.ClearStateAsync();
        return View();
    }

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private CounterView View() => new(state.State.Value, state.State.Writes, state.Etag, state.RecordExists, RuntimeIdentity);
}
