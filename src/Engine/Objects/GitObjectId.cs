using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace AgentSnapshots.Engine.Objects;

/// <summary>A SHA-1 object name of the git object format (20 bytes, 40 lowercase hex digits).</summary>
public readonly struct GitObjectId : IEquatable<GitObjectId>, IComparable<GitObjectId>
{
    public const int ByteLength = 20;
    public const int HexLength = 40;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    public GitObjectId(ReadOnlySpan<byte> raw)
    {
        if (raw.Length != ByteLength)
        {
            throw new ArgumentException($"An object id has {ByteLength} bytes, not {raw.Length}.", nameof(raw));
        }
        _a = BinaryPrimitives.ReadUInt64BigEndian(raw);
        _b = BinaryPrimitives.ReadUInt64BigEndian(raw[8..]);
        _c = BinaryPrimitives.ReadUInt32BigEndian(raw[16..]);
    }

    public static GitObjectId Parse(string hex) =>
        TryParse(hex, out var id) ? id : throw new FormatException($"'{hex}' is not a 40-digit hexadecimal object id.");

    public static bool TryParse([NotNullWhen(true)] string? hex, out GitObjectId id)
    {
        id = default;
        if (hex is null || hex.Length != HexLength)
        {
            return false;
        }
        Span<byte> raw = stackalloc byte[ByteLength];
        var status = Convert.FromHexString(hex, raw, out _, out var written);
        if (status != System.Buffers.OperationStatus.Done || written != ByteLength)
        {
            return false;
        }
        id = new GitObjectId(raw);
        return true;
    }

    /// <summary>The first byte: the fan-out directory of a loose object, the fan-out slot of a pack index.</summary>
    public byte FirstByte => (byte)(_a >> 56);

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _c);
    }

    public string ToHex()
    {
        Span<byte> raw = stackalloc byte[ByteLength];
        WriteTo(raw);
        return Convert.ToHexStringLower(raw);
    }

    public override string ToString() => ToHex();

    public bool Equals(GitObjectId other) => _a == other._a && _b == other._b && _c == other._c;

    public override bool Equals(object? obj) => obj is GitObjectId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);

    /// <summary>Orders ids as their bytes compare (git's order in pack indexes).</summary>
    public int CompareTo(GitObjectId other)
    {
        var c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        return c != 0 ? c : _c.CompareTo(other._c);
    }

    public static bool operator <(GitObjectId left, GitObjectId right) => left.CompareTo(right) < 0;

    public static bool operator <=(GitObjectId left, GitObjectId right) => left.CompareTo(right) <= 0;

    public static bool operator >(GitObjectId left, GitObjectId right) => left.CompareTo(right) > 0;

    public static bool operator >=(GitObjectId left, GitObjectId right) => left.CompareTo(right) >= 0;

    public static bool operator ==(GitObjectId left, GitObjectId right) => left.Equals(right);

    public static bool operator !=(GitObjectId left, GitObjectId right) => !left.Equals(right);
}
