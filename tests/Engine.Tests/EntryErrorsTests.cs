using AgentSnapshots.Engine.SystemCalls;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// A snapshot skips an entry only for an error of that entry: running out of descriptors or memory says nothing about
/// the file, so skipping it would leave a readable file out of the snapshot without a word.
/// </summary>
public sealed class EntryErrorsTests
{
    [Theory]
    [InlineData(LinuxCalls.EMFILE)] // the process's descriptors
    [InlineData(LinuxCalls.ENFILE)] // the system's
    [InlineData(LinuxCalls.ENOMEM)]
    public void Running_out_of_something_fails_the_snapshot_instead_of_skipping(int errno)
    {
        var error = LinuxCalls.Error(errno, "openat");
        Assert.True(EntryErrors.Exhausted(error));
        Assert.False(EntryErrors.OfTheEntry(error));
    }

    [Theory]
    [InlineData(LinuxCalls.ENOENT)]
    [InlineData(LinuxCalls.EACCES)]
    [InlineData(LinuxCalls.ENAMETOOLONG)]
    [InlineData(LinuxCalls.ELOOP)]
    [InlineData(5)] // EIO
    public void Errors_of_the_entry_stay_skippable(int errno)
    {
        var error = LinuxCalls.Error(errno, "openat");
        Assert.True(EntryErrors.OfTheEntry(error));
        Assert.False(EntryErrors.Exhausted(error));
    }
}
