using System.Security.Cryptography;
using System.Text;
using AgentSnapshots.Engine.Objects.Backends;

namespace AgentSnapshots.Tests.ObjectStorage;

/// <summary>
/// What every object backend promises the engine (<see cref="IObjectBackend"/>'s documented semantics), run as the
/// same tests against each real backend: a subclass supplies a fresh, empty backend per test and one whose server
/// cannot be reached. Atomic puts of forward-only content in bounded parts, ranged reads, listings per store, deletes,
/// absent files, a put that dies midway leaving nothing visible, the backend down failing with
/// <see cref="ObjectBackendException"/>.
/// </summary>
public abstract class ObjectBackendContractTests : IAsyncLifetime
{
    private IObjectBackend? _backend;

    /// <summary>A backend over a fresh, empty namespace (no store of another test is visible in it).</summary>
    protected abstract Task<IObjectBackend> CreateBackendAsync();

    /// <summary>A backend configured like the others but whose server is not there (nothing listens at its address).</summary>
    protected abstract IObjectBackend CreateUnreachableBackend();

    /// <summary>A size big enough that the backend must split it (S3 parts, PostgreSQL chunks).</summary>
    protected virtual long LargeFileLength => 9L * 1024 * 1024 + 12345;

    protected IObjectBackend Backend => _backend ?? throw new InvalidOperationException("Not initialized.");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync() => _backend = await CreateBackendAsync();

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        switch (_backend)
        {
            case IAsyncDisposable asyncDisposable:
                return asyncDisposable.DisposeAsync();
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A store id as the engine names them: a workspace id, 64 lowercase hex characters.</summary>
    protected static string NewStore() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task Put_files_are_listed_per_store_with_their_lengths_and_read_by_range()
    {
        var (store, other) = (NewStore(), NewStore());
        await PutTextAsync(store, "pack-1.pack", "0123456789abcdefghij");
        await PutTextAsync(store, "pack-1.idx", "index");
        await PutTextAsync(other, "pack-2.pack", "another store");

        Assert.Equal(
            [new BackendFile("pack-1.idx", 5), new BackendFile("pack-1.pack", 20)],
            (await Backend.ListAsync(store, Ct)).OrderBy(f => f.Name, StringComparer.Ordinal));
        Assert.Equal([new BackendFile("pack-2.pack", 13)], await Backend.ListAsync(other, Ct));
        Assert.Equal(20, await Backend.LengthAsync(store, "pack-1.pack", Ct));

        Assert.Equal("56789", await ReadTextAsync(store, "pack-1.pack", 5, 5));
        // A read past the end is short; one from the end reads nothing.
        var tail = new byte[8];
        Assert.Equal(3, await Backend.ReadAsync(store, "pack-1.pack", 17, tail, Ct));
        Assert.Equal("hij", Encoding.ASCII.GetString(tail, 0, 3));
        Assert.Equal(0, await Backend.ReadAsync(store, "pack-1.pack", 20, tail, Ct));

        Assert.Equal(new[] { store, other }.Order(StringComparer.Ordinal), (await Backend.ListStoresAsync(Ct)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_absent_file_has_no_length_fails_a_read_with_file_not_found_and_deletes_as_nothing()
    {
        var store = NewStore();
        await PutTextAsync(store, "pack-1.pack", "present");

        Assert.Null(await Backend.LengthAsync(store, "pack-0.pack", Ct));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Backend.ReadAsync(store, "pack-0.pack", 0, new byte[4], Ct));
        await Backend.DeleteAsync(store, "pack-0.pack", Ct);
        Assert.Empty(await Backend.ListAsync(NewStore(), Ct));
        Assert.Equal([new BackendFile("pack-1.pack", 7)], await Backend.ListAsync(store, Ct));
    }

    [Fact]
    public async Task A_deleted_file_is_gone_from_the_listing_and_from_reads()
    {
        var store = NewStore();
        await PutTextAsync(store, "pack-1.pack", "old pack");
        await PutTextAsync(store, "pack-2.pack", "new pack");

        await Backend.DeleteAsync(store, "pack-1.pack", Ct);

        Assert.Equal([new BackendFile("pack-2.pack", 8)], await Backend.ListAsync(store, Ct));
        Assert.Null(await Backend.LengthAsync(store, "pack-1.pack", Ct));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Backend.ReadAsync(store, "pack-1.pack", 0, new byte[4], Ct));
    }

    [Fact]
    public async Task Putting_a_name_again_with_the_same_content_succeeds()
    {
        var store = NewStore();
        await PutTextAsync(store, "pack-1.pack", "same bytes");
        await PutTextAsync(store, "pack-1.pack", "same bytes");

        Assert.Equal([new BackendFile("pack-1.pack", 10)], await Backend.ListAsync(store, Ct));
        Assert.Equal("same bytes", await ReadTextAsync(store, "pack-1.pack", 0, 10));
    }

    [Fact]
    public async Task A_large_forward_only_file_is_stored_whole_and_read_across_its_parts()
    {
        var store = NewStore();
        var length = LargeFileLength;
        await Backend.PutAsync(store, "pack-big.pack", new GeneratedContentStream(length, seed: 3), length, Ct);

        Assert.Equal(length, await Backend.LengthAsync(store, "pack-big.pack", Ct));
        Assert.Equal([new BackendFile("pack-big.pack", length)], await Backend.ListAsync(store, Ct));
        foreach (var offset in new[] { 0L, 8L * 1024 * 1024 - 100, length / 2, length - 50 })
        {
            var buffer = new byte[200];
            var read = await Backend.ReadAsync(store, "pack-big.pack", offset, buffer, Ct);
            Assert.Equal((int)Math.Min(200, length - offset), read);
            Assert.Equal(GeneratedContentStream.Expected(offset, read, seed: 3), buffer[..read]);
        }
    }

    [Fact]
    public async Task A_put_whose_content_fails_midway_leaves_nothing_visible()
    {
        var store = NewStore();
        var length = LargeFileLength;
        await PutTextAsync(store, "pack-1.pack", "kept");

        await Assert.ThrowsAsync<IOException>(() =>
            Backend.PutAsync(store, "pack-torn.pack", new GeneratedContentStream(length, seed: 5, failAfter: length - 1000), length, Ct));
        await Assert.ThrowsAsync<IOException>(() =>
            Backend.PutAsync(store, "pack-small-torn.pack", new GeneratedContentStream(1000, seed: 5, failAfter: 10), 1000, Ct));

        Assert.Equal([new BackendFile("pack-1.pack", 4)], await Backend.ListAsync(store, Ct));
        Assert.Null(await Backend.LengthAsync(store, "pack-torn.pack", Ct));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Backend.ReadAsync(store, "pack-torn.pack", 0, new byte[4], Ct));
        // Whatever the failed puts left behind is leftovers for collection, not files.
        await Backend.RemoveInterruptedAsync(store, TimeSpan.Zero, Ct);
        Assert.Equal([new BackendFile("pack-1.pack", 4)], await Backend.ListAsync(store, Ct));
        Assert.Equal([store], await Backend.ListStoresAsync(Ct));
    }

    [Fact]
    public async Task A_pack_and_its_index_put_together_are_both_stored_and_an_index_that_fails_is_never_listed()
    {
        var store = NewStore();
        await PutPackTextAsync(store, "pack-1", "the pack's bytes", "its index");
        // Again (a retried publish): the same files, once each.
        await PutPackTextAsync(store, "pack-1", "the pack's bytes", "its index");
        Assert.Equal(
            [new BackendFile("pack-1.idx", 9), new BackendFile("pack-1.pack", 16)],
            (await Backend.ListAsync(store, Ct)).OrderBy(f => f.Name, StringComparer.Ordinal));
        Assert.Equal("the pack's bytes", await ReadTextAsync(store, "pack-1.pack", 0, 16));
        Assert.Equal("its index", await ReadTextAsync(store, "pack-1.idx", 0, 9));

        // A large pack (stored in parts) with its index.
        var length = LargeFileLength;
        await Backend.PutPackAsync(store, "pack-big.pack", new GeneratedContentStream(length, seed: 7), length, "pack-big.idx", new MemoryStream("big index"u8.ToArray()), 9, Ct);
        Assert.Equal(length, await Backend.LengthAsync(store, "pack-big.pack", Ct));
        Assert.Equal("big index", await ReadTextAsync(store, "pack-big.idx", 0, 9));

        // The index's content fails midway: the index is not listed (whatever became of its pack, which counts only with it).
        await Assert.ThrowsAsync<IOException>(() => Backend.PutPackAsync(store, "pack-2.pack", new MemoryStream("pack two"u8.ToArray()), 8,
            "pack-2.idx", new GeneratedContentStream(1000, seed: 5, failAfter: 10), 1000, Ct));
        Assert.DoesNotContain("pack-2.idx", (await Backend.ListAsync(store, Ct)).Select(f => f.Name));
    }

    [Fact]
    public async Task Concurrent_puts_and_reads_of_several_stores_each_see_their_own_files()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => NewStore()).ToArray();
        await Task.WhenAll(stores.SelectMany((store, s) => Enumerable.Range(0, 5).Select(async f =>
        {
            var text = $"store {s} file {f}";
            await PutTextAsync(store, $"pack-{f}.pack", text);
            Assert.Equal(text, await ReadTextAsync(store, $"pack-{f}.pack", 0, text.Length));
        })));

        foreach (var (store, s) in stores.Select((store, s) => (store, s)))
        {
            var files = await Backend.ListAsync(store, Ct);
            Assert.Equal(Enumerable.Range(0, 5).Select(f => $"pack-{f}.pack"), files.Select(f => f.Name).Order(StringComparer.Ordinal));
            Assert.Equal($"store {s} file 3", await ReadTextAsync(store, "pack-3.pack", 0, 16));
        }
    }

    [Fact]
    public async Task An_unreachable_backend_fails_every_operation_with_a_backend_exception()
    {
        var unreachable = CreateUnreachableBackend();
        try
        {
            var store = NewStore();
            var failures = new List<ObjectBackendException>
            {
                await Assert.ThrowsAsync<ObjectBackendException>(() => unreachable.PutAsync(store, "pack-1.pack", new MemoryStream([1, 2, 3]), 3, Ct)),
                await Assert.ThrowsAsync<ObjectBackendException>(() => unreachable.PutPackAsync(store, "pack-1.pack", new MemoryStream([1, 2, 3]), 3, "pack-1.idx", new MemoryStream([4]), 1, Ct)),
                await Assert.ThrowsAsync<ObjectBackendException>(() => unreachable.LengthAsync(store, "pack-1.pack", Ct)),
                await Assert.ThrowsAsync<ObjectBackendException>(() => unreachable.ReadAsync(store, "pack-1.pack", 0, new byte[3], Ct)),
                await Assert.ThrowsAsync<ObjectBackendException>(() => unreachable.ListAsync(store, Ct)),
                await Assert.ThrowsAsync<ObjectBackendException>(() => unreachable.DeleteAsync(store, "pack-1.pack", Ct)),
                await Assert.ThrowsAsync<ObjectBackendException>(() => unreachable.ListStoresAsync(Ct)),
            };
            foreach (var failure in failures)
            {
                Assert.Contains(unreachable.Name, failure.Message, StringComparison.OrdinalIgnoreCase);
                Assert.Equal(EngineError.BackendUnavailable, failure.Error);
            }
        }
        finally
        {
            (unreachable as IDisposable)?.Dispose();
            if (unreachable is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
        }
    }

    protected Task PutTextAsync(string store, string name, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return Backend.PutAsync(store, name, new MemoryStream(bytes), bytes.Length, Ct);
    }

    private Task PutPackTextAsync(string store, string pack, string packText, string indexText)
    {
        var (packBytes, indexBytes) = (Encoding.UTF8.GetBytes(packText), Encoding.UTF8.GetBytes(indexText));
        return Backend.PutPackAsync(store, pack + ".pack", new MemoryStream(packBytes), packBytes.Length, pack + ".idx", new MemoryStream(indexBytes), indexBytes.Length, Ct);
    }

    protected async Task<string> ReadTextAsync(string store, string name, long offset, int count)
    {
        var buffer = new byte[count];
        var read = await Backend.ReadAsync(store, name, offset, buffer, Ct);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }
}
