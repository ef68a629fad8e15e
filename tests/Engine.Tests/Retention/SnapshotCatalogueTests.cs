using System.Text.Json;
using AgentSnapshots.Engine;

namespace AgentSnapshots.Tests.Engine.Retention;

/// <summary>The workspace catalogue on its own: recording, release, retention, and how little each change writes.</summary>
public sealed class SnapshotCatalogueTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Hash(int i) => i.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The catalogue as a reload from its stored parts sees it.</summary>
    private static SnapshotCatalogue Reload(SnapshotCatalogue c)
    {
        var header = JsonSerializer.Deserialize<CatalogueHeader>(JsonSerializer.Serialize(c.Header))!;
        var pages = Enumerable.Range(c.Pages.FirstPage, c.Pages.LastPage - c.Pages.FirstPage + 1)
            .Select(n => new KeyValuePair<int, List<CatalogueEntry>>(n, JsonSerializer.Deserialize<List<CatalogueEntry>>(JsonSerializer.Serialize(c.Pages.Page(n)))!))
            .ToList();
        return SnapshotCatalogue.Load(header, pages, JsonSerializer.Deserialize<List<DroppedSnapshot>>(JsonSerializer.Serialize(c.Drops)));
    }

    [Fact]
    public void Recording_one_snapshot_writes_at_most_two_small_pages_however_long_the_catalogue()
    {
        var catalogue = SnapshotCatalogue.Empty();
        for (var i = 0; i < 10_000; i++)
        {
            catalogue.Record(Hash(i), $"session-{i % 50}", safety: i % 10 == 0, Now.AddSeconds(i));
        }
        catalogue.ClearChanges();

        // A new snapshot: the last page only. Recording an old snapshot again moves it: its page and the last.
        catalogue.Record(Hash(20_000), "session-7", safety: false, Now.AddDays(1));
        Assert.Single(catalogue.Pages.DirtyPages);
        Assert.False(catalogue.HeaderChanged);
        catalogue.ClearChanges();
        catalogue.Record(Hash(5), "session-5", safety: false, Now.AddDays(1));
        Assert.Equal(2, catalogue.Pages.DirtyPages.Count);
        var written = catalogue.Pages.DirtyPages.Sum(n => JsonSerializer.SerializeToUtf8Bytes(catalogue.Pages.Page(n)).Length);
        Assert.InRange(written, 1, 16 * 1024);
        Assert.Equal(10_001, catalogue.Count);
        Assert.Equal(Hash(5), catalogue.Pages.Items.Last().Hash);
    }

    [Fact]
    public void A_reload_from_the_stored_parts_sees_the_same_catalogue()
    {
        var catalogue = SnapshotCatalogue.Empty();
        for (var i = 0; i < 300; i++)
        {
            catalogue.Record(Hash(i % 200), i % 3 == 0 ? "a" : "b", safety: i == 7, Now.AddMinutes(i));
        }
        catalogue.Release("a");

        var again = Reload(catalogue);

        Assert.Equal(catalogue.Pages.Items.Select(e => e.Hash), again.Pages.Items.Select(e => e.Hash));
        Assert.Equal(catalogue.LiveOf("b").Order(), again.LiveOf("b").Order());
        Assert.Empty(again.LiveOf("a"));
        Assert.Equal(catalogue.RecordedSinceCollection, again.RecordedSinceCollection);
    }

    [Fact]
    public void Releasing_a_session_frees_what_only_it_recorded_and_keeps_what_others_did()
    {
        var catalogue = SnapshotCatalogue.Empty();
        catalogue.Record(Hash(1), "a", false, Now);
        catalogue.Record(Hash(2), "a", false, Now);
        catalogue.Record(Hash(2), "b", false, Now);

        Assert.Equal(2, catalogue.Release("a"));

        Assert.Equal([Hash(2)], catalogue.LiveHashes);
        Assert.Equal([Hash(2)], catalogue.LiveOf("b"));
        Assert.Equal(1, catalogue.SessionCount);
        // The freed slot is reused by the next session.
        catalogue.Record(Hash(3), "c", false, Now);
        Assert.Equal(["c", "b"], catalogue.Header.Sessions);
    }

    [Fact]
    public void Retention_drops_in_pages_and_remembers_why_per_session()
    {
        var catalogue = SnapshotCatalogue.Empty();
        for (var i = 0; i < 200; i++)
        {
            catalogue.Record(Hash(i), "s", safety: false, Now.AddHours(-200 + i));
        }
        catalogue.ClearChanges();
        var epoch = catalogue.Header.DropEpoch;

        var dropped = catalogue.ApplyRetention(new RetentionPolicy(keepLast: 10, keepYoungerThan: TimeSpan.Zero, maxSnapshots: 1000), Now);

        Assert.Equal(190, dropped);
        Assert.Equal(Enumerable.Range(190, 10).Select(Hash), catalogue.Pages.Items.Select(e => e.Hash));
        Assert.Equal(DropReason.Expired, catalogue.WhyDropped("s", Hash(3)));
        Assert.Null(catalogue.WhyDropped("s", Hash(195)));
        Assert.Equal(epoch + 1, catalogue.Header.DropEpoch);
        // The emptied pages at the front are given up (their records cleared), and the header names the new range.
        Assert.NotEmpty(catalogue.Pages.DroppedPages);
        Assert.Equal(catalogue.Pages.FirstPage, catalogue.Header.FirstPage);
        Assert.True(catalogue.HeaderChanged && catalogue.DropsChanged);

        // Recorded again, a dropped snapshot is live and no longer reported as dropped.
        catalogue.Record(Hash(3), "s", false, Now);
        Assert.Null(catalogue.WhyDropped("s", Hash(3)));
        Assert.Contains(Hash(3), catalogue.LiveOf("s"));
    }

    [Fact]
    public void Owners_a_crash_left_without_a_session_slot_are_forgotten_on_reload()
    {
        var catalogue = SnapshotCatalogue.Empty();
        catalogue.Record(Hash(1), "a", false, Now);
        var header = JsonSerializer.Deserialize<CatalogueHeader>(JsonSerializer.Serialize(catalogue.Header))!;
        // The page reached storage with a second session's entry, the header (naming that session) did not.
        catalogue.Record(Hash(2), "b", false, Now);
        var page = JsonSerializer.Deserialize<List<CatalogueEntry>>(JsonSerializer.Serialize(catalogue.Pages.Page(0)))!;

        var again = SnapshotCatalogue.Load(header, [new(0, page)], []);

        Assert.Equal([Hash(1)], again.LiveHashes);
        again.Record(Hash(3), "c", false, Now);
        Assert.Equal(["a", "c"], again.Header.Sessions);
    }

    [Fact]
    public void A_paged_list_keeps_order_across_pages_and_gives_up_emptied_front_pages()
    {
        var list = new PagedList<string>(pageSize: 2, firstPage: 0, lastPage: 0, []);
        string[] items = ["a", "b", "c", "d", "e"];
        foreach (var item in items) list.Append(item);
        Assert.Equal((0, 2), (list.FirstPage, list.LastPage));
        Assert.Equal(items, list.Items);
        list.ClearDirty();

        list.Remove(items[0]);
        list.Remove(items[1]);

        Assert.Equal(1, list.FirstPage);
        Assert.Equal([0], list.DroppedPages);
        Assert.True(list.RangeChanged);
        Assert.Equal(["c", "d", "e"], list.Items);
        Assert.Equal(["e"], list.Page(2));
    }
}
