namespace AgentSnapshots.Engine.Diff;

/// <summary>A line kept for the patch preview: its hash, the first bytes of its text, and whether it ends with '\n'.</summary>
internal readonly record struct PreviewLine(ulong Hash, byte[] Text, long Length, bool EndsWithNewline)
{
    public static PreviewLine From(LineReader reader) =>
        new(reader.Hash, reader.Head.ToArray(), reader.Length, reader.EndsWithNewline);
}

/// <summary>The common lines just before the first change (up to 3, git's context) and git's hunk function name.</summary>
internal sealed class PrefixContext
{
    private readonly byte[][] _text;
    private readonly int[] _length;
    private readonly long[] _fullLength;
    private readonly int _contextLines;
    private long _count;
    private readonly byte[] _function = new byte[80];
    private int _functionLength = -1;

    public PrefixContext(int contextLines, int headBytes)
    {
        _contextLines = contextLines;
        var slots = Math.Max(contextLines, 1);
        _text = new byte[slots][];
        _length = new int[slots];
        _fullLength = new long[slots];
        for (var i = 0; i < slots; i++) _text[i] = new byte[headBytes];
    }

    /// <summary>The last lines pushed (they all end with '\n': they are common to both sides and followed by a change), oldest first.</summary>
    public IReadOnlyList<PreviewLine> Lines
    {
        get
        {
            var n = (int)Math.Min(_count, _contextLines);
            var list = new PreviewLine[n];
            for (var i = 0; i < n; i++)
            {
                var slot = (int)((_count - n + i) % _text.Length);
                list[i] = new PreviewLine(0, _text[slot].AsSpan(0, _length[slot]).ToArray(), _fullLength[slot], true);
            }
            return list;
        }
    }

    /// <summary>The last line before <see cref="Lines"/> that git's default funcname rule picks (xdiff's def_ff), if any.</summary>
    public byte[]? FunctionLine => _functionLength < 0 ? null : _function.AsSpan(0, _functionLength).ToArray();

    /// <summary>Records a common line (no allocation unless it becomes the function line).</summary>
    public void Push(ReadOnlySpan<byte> head, long length)
    {
        if (_contextLines == 0)
        {
            NoteFunction(head);
            _count++;
            return;
        }
        var slot = (int)(_count % _text.Length);
        if (_count >= _text.Length)
        {
            NoteFunction(_text[slot].AsSpan(0, _length[slot]));
        }
        var n = Math.Min(head.Length, _text[slot].Length);
        head[..n].CopyTo(_text[slot]);
        _length[slot] = n;
        _fullLength[slot] = length;
        _count++;
    }

    private void NoteFunction(ReadOnlySpan<byte> text)
    {
        if (!IsFunctionLine(text)) return;
        var len = FunctionLength(text);
        text[..len].CopyTo(_function);
        _functionLength = len;
    }

    /// <summary>xdiff's def_ff: a line starting with a letter, '_' or '$'.</summary>
    public static bool IsFunctionLine(ReadOnlySpan<byte> text) =>
        !text.IsEmpty && (char.IsAsciiLetter((char)text[0]) || text[0] == (byte)'_' || text[0] == (byte)'$');

    /// <summary>The first 80 bytes of the line, trailing white space removed, as xdiff puts it in a hunk header.</summary>
    public static byte[] FunctionText(ReadOnlySpan<byte> text) => text[..FunctionLength(text)].ToArray();

    private static int FunctionLength(ReadOnlySpan<byte> text)
    {
        var len = Math.Min(text.Length, 80);
        while (len > 0 && IsCSpace(text[len - 1])) len--;
        return len;
    }

    private static bool IsCSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';
}
