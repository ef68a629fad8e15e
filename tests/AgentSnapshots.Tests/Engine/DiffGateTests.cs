using AgentSnapshots.Engine.Diff;
namespace AgentSnapshots.Tests.Engine;

public sealed class DiffGateTests
{
    [Fact]
    public async Task No_more_than_the_slots_run_at_once_and_every_caller_gets_through()
    {
        using var gate = new DiffGate(2);
        var running = 0;
        var most = 0;
        var tasks = Enumerable.Range(0, 12).Select(async _ =>
        {
            using (await gate.EnterAsync(TestContext.Current.CancellationToken))
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await Task.Delay(20, TestContext.Current.CancellationToken);
                Interlocked.Decrement(ref running);
            }
        });
        await Task.WhenAll(tasks);
        Assert.Equal(2, most);
        Assert.Equal(0, running);
    }

    [Fact]
    public async Task A_cancelled_wait_takes_no_slot()
    {
        using var gate = new DiffGate(1);
        var held = await gate.EnterAsync(TestContext.Current.CancellationToken);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.EnterAsync(cts.Token));
        held.Dispose();
        held.Dispose(); // a second dispose gives nothing back twice
        using var again = await gate.EnterAsync(TestContext.Current.CancellationToken);
        using var cts2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.EnterAsync(cts2.Token));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
