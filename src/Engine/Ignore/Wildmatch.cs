namespace AgentSnapshots.Engine.Ignore;

/// <summary>
/// Glob matching with git's pathname rules: '*' and '?' never match '/', '[...]' classes (with '!'/'^' negation,
/// ranges and [:alpha:]-style names), '\' escapes, and '**' spanning directories where it stands between slashes
/// or at either end ("**/x", "x/**", "a/**/b"); elsewhere '**' is a plain '*'.
/// </summary>
public static class Wildmatch
{
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text) => Match(pattern, text, componentStart: true) == Result.Match;

    private enum Result
    {
        Match,
        NoMatch,
        // No match here, and no later start of a '*' can help either (the text ran out): stop backtracking.
        AbortAll,
        // A single '*' reached a '/': only an enclosing '**' may still match by skipping more directories.
        AbortToDoubleStar,
    }

    private static Result Match(ReadOnlySpan<char> p, ReadOnlySpan<char> t, bool componentStart)
    {
        while (!p.IsEmpty)
        {
            var pc = p[0];
            var atStart = componentStart;
            componentStart = false;
            switch (pc)
            {
                case '\\' when p.Length > 1:
                    if (t.IsEmpty || t[0] != p[1]) return t.IsEmpty ? Result.AbortAll : Result.NoMatch;
                    p = p[2..];
                    t = t[1..];
                    continue;
                case '?':
                    if (t.IsEmpty) return Result.AbortAll;
                    if (t[0] == '/') return Result.NoMatch;
                    p = p[1..];
                    t = t[1..];
                    continue;
                case '[':
                {
                    if (t.IsEmpty) return Result.AbortAll;
                    var consumed = MatchClass(p, t[0], out var ok);
                    if (consumed == 0)
                    {
                        // An unterminated '[' is a literal.
                        if (t[0] != '[') return Result.NoMatch;
                        p = p[1..];
                        t = t[1..];
                        continue;
                    }
                    if (!ok || t[0] == '/') return Result.NoMatch;
                    p = p[consumed..];
                    t = t[1..];
                    continue;
                }
                case '*':
                    return MatchStar(p, t, atStart);
                default:
                    if (t.IsEmpty) return Result.AbortAll;
                    if (t[0] != pc) return Result.NoMatch;
                    componentStart = pc == '/';
                    p = p[1..];
                    t = t[1..];
                    continue;
            }
        }
        return t.IsEmpty ? Result.Match : Result.NoMatch;
    }

    private static Result MatchStar(ReadOnlySpan<char> p, ReadOnlySpan<char> t, bool componentStart)
    {
        var stars = 0;
        while (stars < p.Length && p[stars] == '*') stars++;
        var rest = p[stars..];
        // '**' is special only as a whole path component: preceded by the start or '/', followed by the end or '/'.
        var doubleStar = stars >= 2 && componentStart && (rest.IsEmpty || rest[0] == '/');
        if (doubleStar)
        {
            if (rest.IsEmpty) return Result.Match;
            // "**/" matches zero or more whole directories.
            var afterSlash = rest[1..];
            var r = Match(afterSlash, t, componentStart: true);
            if (r is Result.Match or Result.AbortAll) return r;
            for (var i = 0; i < t.Length; i++)
            {
                if (t[i] != '/') continue;
                r = Match(afterSlash, t[(i + 1)..], componentStart: true);
                if (r is Result.Match or Result.AbortAll) return r;
            }
            return Result.AbortAll;
        }
        if (rest.IsEmpty)
        {
            return t.Contains('/') ? Result.NoMatch : Result.Match;
        }
        for (var i = 0; i <= t.Length; i++)
        {
            var r = Match(rest, t[i..], componentStart: false);
            if (r != Result.NoMatch) return r;
            if (i < t.Length && t[i] == '/') return Result.AbortToDoubleStar;
        }
        return Result.AbortAll;
    }

    /// <summary>Matches one character against the class at the start of <paramref name="p"/>; returns the class's length, 0 if unterminated.</summary>
    private static int MatchClass(ReadOnlySpan<char> p, char c, out bool matched)
    {
        matched = false;
        var i = 1;
        var negate = i < p.Length && (p[i] == '!' || p[i] == '^');
        if (negate) i++;
        var first = true;
        var any = false;
        while (i < p.Length)
        {
            var ch = p[i];
            if (ch == ']' && !first)
            {
                matched = any != negate;
                return i + 1;
            }
            first = false;
            if (ch == '[' && i + 1 < p.Length && p[i + 1] == ':')
            {
                var end = p[(i + 2)..].IndexOf(":]", StringComparison.Ordinal);
                if (end >= 0)
                {
                    var name = p.Slice(i + 2, end);
                    any |= InNamedClass(name, c);
                    i += end + 4;
                    continue;
                }
            }
            if (ch == '\\' && i + 1 < p.Length)
            {
                ch = p[++i];
            }
            if (i + 2 < p.Length && p[i + 1] == '-' && p[i + 2] != ']')
            {
                var hi = p[i + 2];
                var skip = 3;
                if (hi == '\\' && i + 3 < p.Length)
                {
                    hi = p[i + 3];
                    skip = 4;
                }
                any |= c >= ch && c <= hi;
                i += skip;
                continue;
            }
            any |= c == ch;
            i++;
        }
        return 0;
    }

    private static bool InNamedClass(ReadOnlySpan<char> name, char c) => name switch
    {
        "alnum" => char.IsAsciiLetterOrDigit(c),
        "alpha" => char.IsAsciiLetter(c),
        "digit" => char.IsAsciiDigit(c),
        "lower" => char.IsAsciiLetterLower(c),
        "upper" => char.IsAsciiLetterUpper(c),
        "space" => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v',
        "blank" => c is ' ' or '\t',
        "punct" => char.IsAsciiLetterOrDigit(c) is false && c > ' ' && c < 127,
        "xdigit" => char.IsAsciiHexDigit(c),
        "cntrl" => c < ' ' || c == 127,
        "print" => c >= ' ' && c < 127,
        "graph" => c > ' ' && c < 127,
        _ => false,
    };
}
