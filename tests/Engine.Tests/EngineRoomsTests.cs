using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// The engine's rooms (the folders of src/Engine, one namespace each) and the one direction they use each other in,
/// read from the built assembly: every type's signatures and method bodies, so a dependency no using line shows
/// (a fully qualified name, a call through a var) counts as well.
/// </summary>
public sealed class EngineRoomsTests
{
    /// <summary>Bottom to top: a room uses only rooms listed before it. The facade (the root namespace) is on top.</summary>
    private static readonly string[] Direction =
    [
        "SystemCalls", "Foundation", "Ignore", "Objects", "Reports", "WorkingTree", "Watching", "Snapshotting",
        "Diff", "Retention", "Threading", RoomDependencies.Facade,
    ];

    private static readonly RoomDependencies Found = RoomDependencies.Of(typeof(Workspace).Assembly);

    [Fact]
    public void No_room_uses_a_room_that_uses_it()
    {
        var cycle = Found.FindCycle();
        Assert.True(cycle is null, $"The engine's rooms use each other in a circle: {string.Join(" -> ", cycle ?? [])}. " +
            $"Uses along it: {string.Join("; ", Found.Explain(cycle ?? []))}");
    }

    [Fact]
    public void Every_room_uses_only_rooms_below_it_in_the_stated_direction()
    {
        var upward = Found.Edges
            .Where(edge => Array.IndexOf(Direction, edge.From) <= Array.IndexOf(Direction, edge.To))
            .Select(edge => $"{edge.From} -> {edge.To} ({string.Join(", ", Found.Uses(edge.From, edge.To).Take(3))})")
            .ToList();
        Assert.True(upward.Count == 0, "Rooms that use a room above them (move the type, or restate the direction): " + string.Join("; ", upward));
    }

    [Fact]
    public void Every_room_of_the_engine_has_a_place_in_the_direction()
    {
        var unplaced = Found.Rooms.Except(Direction).ToList();
        Assert.True(unplaced.Count == 0, $"Rooms not placed in the direction: {string.Join(", ", unplaced)}");
        Assert.Equal(Direction.Order(), Found.Rooms.Order());
    }

    [Fact]
    public void The_reading_sees_uses_in_method_bodies_as_well_as_in_signatures()
    {
        // PackWriter calls Posix (a static call in a method body, no field or parameter of that type);
        // WorkingTreeSnapshotter holds a WorkspaceWatch (a field).
        Assert.Contains("Posix", Found.Uses("Objects", "SystemCalls").Select(use => use.Split(" uses ")[1]));
        Assert.Contains("WorkingTreeSnapshotter uses WorkspaceWatch", Found.Uses("Snapshotting", "Watching"));
        Assert.Contains(("Objects", "SystemCalls"), Found.Edges.Select(edge => (edge.From, edge.To)));
    }
}
