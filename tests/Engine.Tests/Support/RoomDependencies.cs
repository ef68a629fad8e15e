using System.Reflection;
using System.Reflection.Emit;

namespace AgentSnapshots.Tests.Support;

/// <summary>
/// Which rooms of an assembly use which, read from the built code: a room is the namespace segment after the
/// assembly's root namespace (its sub-namespaces belong to it; the root namespace itself is <see cref="Facade"/>).
/// A type uses every type named by its base, interfaces, fields, properties, method signatures, attributes, local
/// variables, catch clauses and the tokens its method bodies' IL loads, calls or constructs.
/// </summary>
internal sealed class RoomDependencies
{
    public const string Facade = "(facade)";

    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic |
        BindingFlags.Instance | BindingFlags.Static;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value);

    private readonly SortedDictionary<(string From, string To), SortedSet<string>> _uses = [];

    private RoomDependencies(IEnumerable<string> rooms) => Rooms = rooms.ToHashSet();

    public IReadOnlySet<string> Rooms { get; }

    public IEnumerable<(string From, string To)> Edges => _uses.Keys;

    public IEnumerable<string> Uses(string from, string to) => _uses.TryGetValue((from, to), out var uses) ? uses : [];

    public static RoomDependencies Of(Assembly assembly)
    {
        var root = assembly.GetName().Name!;
        var types = assembly.GetTypes();
        var found = new RoomDependencies(types.Select(type => RoomOf(type, root)).OfType<string>());
        foreach (var type in types)
        {
            if (RoomOf(type, root) is not { } from) continue;
            foreach (var used in TypesUsedBy(type).SelectMany(Unwrap).Where(used => used.Assembly == assembly))
            {
                if (RoomOf(used, root) is { } to && to != from)
                {
                    found.Add(from, to, $"{Outermost(type).Name} uses {Outermost(used).Name}");
                }
            }
        }
        return found;
    }

    /// <summary>A circle of rooms (first and last the same), or null when the rooms use each other one way only.</summary>
    public string[]? FindCycle()
    {
        var state = new Dictionary<string, bool>(); // false: on the current path; true: done
        var path = new List<string>();
        string[]? Visit(string room)
        {
            if (state.TryGetValue(room, out var done))
            {
                return done ? null : [.. path[path.IndexOf(room)..], room];
            }
            state[room] = false;
            path.Add(room);
            foreach (var next in _uses.Keys.Where(edge => edge.From == room).Select(edge => edge.To))
            {
                if (Visit(next) is { } cycle) return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[room] = true;
            return null;
        }
        return Rooms.Order(StringComparer.Ordinal).Select(Visit).FirstOrDefault(cycle => cycle is not null);
    }

    /// <summary>One use for each step of <paramref name="cycle"/>.</summary>
    public IEnumerable<string> Explain(IReadOnlyList<string> cycle) =>
        cycle.Zip(cycle.Skip(1), (from, to) => $"{from} -> {to}: {Uses(from, to).FirstOrDefault()}");

    private void Add(string from, string to, string use)
    {
        if (!_uses.TryGetValue((from, to), out var uses)) _uses[(from, to)] = uses = new SortedSet<string>(StringComparer.Ordinal);
        uses.Add(use);
    }

    private static string? RoomOf(Type type, string root)
    {
        var ns = type.Namespace;
        if (ns == root) return Facade;
        return ns is not null && ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Split('.')[0] : null;
    }

    private static Type Outermost(Type type) => type.DeclaringType is { } outer ? Outermost(outer) : type;

    /// <summary>The named types inside a constructed one: an array's element, a generic's definition and arguments.</summary>
    private static IEnumerable<Type> Unwrap(Type? type)
    {
        if (type is null || type.IsGenericParameter) yield break;
        if (type.HasElementType)
        {
            foreach (var inner in Unwrap(type.GetElementType())) yield return inner;
            yield break;
        }
        if (type.IsFunctionPointer)
        {
            foreach (var part in type.GetFunctionPointerParameterTypes().Append(type.GetFunctionPointerReturnType()).SelectMany(Unwrap)) yield return part;
            yield break;
        }
        if (type.IsConstructedGenericType)
        {
            yield return type.GetGenericTypeDefinition();
            foreach (var argument in type.GetGenericArguments().SelectMany(Unwrap)) yield return argument;
            yield break;
        }
        yield return type;
    }

    private static IEnumerable<Type?> TypesUsedBy(Type type)
    {
        yield return type.BaseType;
        foreach (var implemented in type.GetInterfaces()) yield return implemented;
        foreach (var attribute in Attributes(type)) yield return attribute;
        foreach (var field in type.GetFields(Declared))
        {
            yield return field.FieldType;
            foreach (var attribute in Attributes(field)) yield return attribute;
        }
        foreach (var property in type.GetProperties(Declared)) yield return property.PropertyType;
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            foreach (var used in TypesUsedBy(type, method)) yield return used;
        }
    }

    private static IEnumerable<Type?> TypesUsedBy(Type type, MethodBase method)
    {
        if (method is MethodInfo info) yield return info.ReturnType;
        foreach (var parameter in method.GetParameters()) yield return parameter.ParameterType;
        foreach (var attribute in Attributes(method)) yield return attribute;
        var body = method.GetMethodBody();
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) yield return local.LocalType;
        foreach (var clause in body.ExceptionHandlingClauses)
        {
            if (clause.Flags == ExceptionHandlingClauseOptions.Clause) yield return clause.CatchType;
        }
        var typeArguments = type.IsGenericTypeDefinition ? type.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethodDefinition ? method.GetGenericArguments() : null;
        foreach (var token in Tokens(body.GetILAsByteArray() ?? []))
        {
            MemberInfo? member;
            try
            {
                member = method.Module.ResolveMember(token, typeArguments, methodArguments);
            }
            catch (ArgumentException)
            {
                continue; // a signature token (calli), not a member
            }
            switch (member)
            {
                case Type used:
                    yield return used;
                    break;
                case FieldInfo field:
                    yield return field.DeclaringType;
                    yield return field.FieldType;
                    break;
                case MethodBase called:
                    yield return called.DeclaringType;
                    if (called is MethodInfo { IsGenericMethod: true } generic)
                    {
                        foreach (var argument in generic.GetGenericArguments()) yield return argument;
                    }
                    break;
            }
        }
    }

    private static IEnumerable<Type> Attributes(MemberInfo member) =>
        member.GetCustomAttributesData().Select(attribute => attribute.AttributeType);

    /// <summary>The metadata tokens (types, fields, methods) the IL names, read by walking its instructions.</summary>
    private static IEnumerable<int> Tokens(byte[] il)
    {
        var at = 0;
        while (at < il.Length)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[++at]) : il[at];
            at++;
            var code = OpCodesByValue[value];
            switch (code.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    yield return BitConverter.ToInt32(il, at);
                    at += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + 4 * BitConverter.ToInt32(il, at);
                    break;
                default: // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                    at += 4;
                    break;
            }
        }
    }
}
