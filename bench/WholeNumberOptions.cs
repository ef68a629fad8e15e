using System.Globalization;

namespace AgentSnapshots.Bench;

/// <summary>Command-line options of the form <c>--name N</c> (N a positive whole number), each with its default.</summary>
internal static class WholeNumberOptions
{
    /// <exception cref="FormatException">An option is unknown or its value is not a positive whole number.</exception>
    public static Dictionary<string, int> Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, int> defaults)
    {
        var values = new Dictionary<string, int>(defaults, StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!defaults.ContainsKey(args[i]))
            {
                throw new FormatException($"unknown option '{args[i]}'");
            }
            values[args[i]] = i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new FormatException($"{args[i]} needs a positive whole number");
        }
        return values;
    }
}
