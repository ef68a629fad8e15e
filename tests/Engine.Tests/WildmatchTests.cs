using AgentSnapshots.Engine.Ignore;

namespace AgentSnapshots.Tests.Engine;

public sealed class WildmatchTests
{
    [Theory]
    [InlineData("*.c", "a.c", true)]
    [InlineData("*.c", "dir/a.c", false)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "a/c", false)]
    [InlineData("**/foo", "foo", true)]
    [InlineData("**/foo", "a/b/foo", true)]
    [InlineData("foo/**", "foo/a/b", true)]
    [InlineData("foo/**", "foo", false)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/xb", false)]
    [InlineData("a**b", "a/b", false)]
    [InlineData("a**b", "axxb", true)]
    [InlineData("docs/**/*.tmp", "docs/a/b/c.tmp", true)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[!a-c]x", "bx", false)]
    [InlineData("[^a-c]x", "dx", true)]
    [InlineData("[[:digit:]]z", "7z", true)]
    [InlineData("[]]", "]", true)]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "a", false)]
    [InlineData("[ab", "[ab", true)]
    public void Matches_like_git(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Wildmatch.IsMatch(pattern, text));
}
