using Microsoft.CodeAnalysis;

namespace ChatCluster.Runtime.Generator;

/// <summary>The build errors the generator reports for grains it cannot generate code for.</summary>
internal static class Diagnostics
{
    private const string Category = "ChatCluster.Grains";

    public static readonly DiagnosticDescriptor BadReturnType = new(
        "CCG001", "Grain methods return Task or Task<T>",
        "Grain method '{0}' returns '{1}'; a grain method must return Task or Task<T>",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericMethod = new(
        "CCG002", "Generic grain methods are not supported",
        "Grain method '{0}' is generic; grain methods cannot have type parameters",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ByRefParameter = new(
        "CCG003", "Grain method parameters are passed by value",
        "Parameter '{1}' of grain method '{0}' is ref, out or in; grain calls pass arguments by value",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotAMethod = new(
        "CCG004", "Grain interfaces declare methods only",
        "Grain interface '{0}' declares '{1}', which is not a method; grain interfaces declare only methods",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor Generic = new(
        "CCG005", "Generic grains are not supported",
        "'{0}' is generic; grain interfaces and grain classes cannot have type parameters",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor AmbiguousConstructor = new(
        "CCG006", "A grain class has one public constructor",
        "Grain class '{0}' has {1} public constructors; give it exactly one",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadPersistentState = new(
        "CCG007", "[PersistentState] goes on an IPersistentState<T> parameter",
        "Parameter '{1}' of '{0}' has [PersistentState] but its type is not IPersistentState<T>",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
