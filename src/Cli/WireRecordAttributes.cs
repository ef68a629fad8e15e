// The contract's wire records (src/Grains.Interfaces) carry Orleans' serializer attributes. The CLI compiles the same
// files without Orleans (it speaks HTTP, and starting Orleans cost most of a call): these stand-ins give the
// attributes no meaning, so the records stay one definition for the silo, the SDK and the CLI.
global using Orleans;

namespace Orleans;

/// <summary>Stand-in for Orleans' attribute: no serializer is generated in the CLI.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum)]
internal sealed class GenerateSerializerAttribute : Attribute;

/// <summary>Stand-in for Orleans' attribute: the CLI never copies records between grains.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct)]
internal sealed class ImmutableAttribute : Attribute;

/// <summary>Stand-in for Orleans' field-id attribute: the CLI's JSON names fields by name.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class IdAttribute(uint id) : Attribute
{
    public uint Id { get; } = id;
}
