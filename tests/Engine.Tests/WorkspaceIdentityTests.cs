using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Engine;

public sealed class WorkspaceIdentityTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string RootDir => Directory.CreateDirectory(_temp.Combine("root")).FullName;

    [Fact]
    public void A_directory_under_a_root_resolves_to_its_canonical_path()
    {
        var project = Directory.CreateDirectory(Path.Combine(RootDir, "project")).FullName;
        var viaDots = Path.Combine(RootDir, "project", "..", "project") + "/";
        Assert.Equal(WorkspaceIdentity.RealPath(project), WorkspaceIdentity.ResolveDirectory(viaDots, [RootDir]));
        Assert.Equal(WorkspaceIdentity.IdFor(project), WorkspaceIdentity.IdFor(WorkspaceIdentity.ResolveDirectory(project, [RootDir])));
    }

    [Fact]
    public void Directories_outside_the_roots_are_refused_even_through_symlinks_or_dots()
    {
        var outside = Directory.CreateDirectory(_temp.Combine("outside")).FullName;
        var escape = Path.Combine(RootDir, "escape");
        File.CreateSymbolicLink(escape, outside);
        foreach (var dir in new[] { outside, escape, Path.Combine(RootDir, "..", "outside"), "/" })
        {
            var e = Assert.Throws<EngineException>(() => WorkspaceIdentity.ResolveDirectory(dir, [RootDir]));
            Assert.Equal(EngineError.OutsideWorkspaceRoots, e.Error);
            Assert.Contains("Snapshots:WorkspaceRoots", e.Message, StringComparison.Ordinal);
        }
        // A sibling whose name merely starts with the root's name is outside too.
        var sibling = Directory.CreateDirectory(RootDir + "-sibling").FullName;
        Assert.Equal(EngineError.OutsideWorkspaceRoots,
            Assert.Throws<EngineException>(() => WorkspaceIdentity.ResolveDirectory(sibling, [RootDir])).Error);
    }

    [Theory]
    [InlineData("relative/dir", EngineError.InvalidPath)]
    [InlineData("", EngineError.MissingDirectory)]
    [InlineData(null, EngineError.MissingDirectory)]
    public void Malformed_directories_are_refused(string? dir, EngineError expected) =>
        Assert.Equal(expected, Assert.Throws<EngineException>(() => WorkspaceIdentity.ResolveDirectory(dir, [RootDir])).Error);

    [Fact]
    public void Missing_directories_and_files_are_refused()
    {
        var file = Path.Combine(RootDir, "file.txt");
        File.WriteAllText(file, "x");
        Assert.Equal(EngineError.MissingDirectory,
            Assert.Throws<EngineException>(() => WorkspaceIdentity.ResolveDirectory(Path.Combine(RootDir, "nope"), [RootDir])).Error);
        Assert.Equal(EngineError.MissingDirectory,
            Assert.Throws<EngineException>(() => WorkspaceIdentity.ResolveDirectory(file, [RootDir])).Error);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234567", true)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF01234567", true)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("zz23456789abcdef0123456789abcdef01234567", false)]
    [InlineData("HEAD", false)]
    [InlineData(null, false)]
    public void Hashes_must_be_40_hex_digits(string? hash, bool ok)
    {
        if (ok)
        {
            Assert.Equal(hash!.ToLowerInvariant(), WorkspaceIdentity.ParseHash(hash, "to").ToHex());
        }
        else
        {
            var e = Assert.Throws<EngineException>(() => WorkspaceIdentity.ParseHash(hash, "to"));
            Assert.Equal(EngineError.MalformedId, e.Error);
        }
    }

    [Fact]
    public void A_home_directory_or_the_root_is_refused_unless_broad_workspaces_are_allowed()
    {
        var home = WorkspaceIdentity.RealPath(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile))!;
        foreach (var dir in new[] { "/", home })
        {
            var e = Assert.Throws<EngineException>(() => WorkspaceIdentity.ResolveDirectory(dir, ["/"]));
            Assert.Equal(EngineError.WorkspaceTooBroad, e.Error);
            Assert.Contains("Snapshots:AllowBroadWorkspaces", e.Message, StringComparison.Ordinal);
            Assert.Equal(dir, WorkspaceIdentity.ResolveDirectory(dir, ["/"], allowBroad: true));
        }
        // A project inside the home directory is what agents should track.
        Assert.Equal(WorkspaceIdentity.RealPath(RootDir), WorkspaceIdentity.ResolveDirectory(RootDir, ["/"]));
    }
}
