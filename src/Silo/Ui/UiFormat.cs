using System.Globalization;

namespace AgentSnapshots.Silo.Ui;

/// <summary>How the pages write numbers, sizes, times and hashes.</summary>
internal static class UiFormat
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A count with its noun, singular for one: "1 file", "2,000 files".</summary>
    public static string Count(long value, string one, string many) => $"{Count(value)} {(value == 1 ? one : many)}";

    public static string Bytes(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{Count(bytes)} bytes" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string MachineTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan span) => span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays)
        ? $"{span.TotalDays.ToString("0", CultureInfo.InvariantCulture)} days"
        : span.ToString("c", CultureInfo.InvariantCulture);

    public static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    /// <summary>A bar's width class (w0..w10, tenths) for <paramref name="part"/> of <paramref name="whole"/>: the stylesheet sizes them, no inline style.</summary>
    public static string Width(long part, long whole) =>
        "w" + (whole <= 0 || part <= 0 ? 0 : Math.Max(1, (int)Math.Round(10.0 * part / whole))).ToString(CultureInfo.InvariantCulture);
}
