using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChatCluster.Runtime.Generator;

/// <summary>
/// Finds grain interfaces (interfaces that extend IGrainWithStringKey) and grain classes (classes
/// that derive from Grain) in the compilation, and emits for the assembly: a proxy per interface,
/// a call class per method, a factory per grain class, and the manifest that registers them.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GrainGenerator : IIncrementalGenerator
{
    private const string GrainInterfaceBase = "ChatCluster.Runtime.IGrainWithStringKey";
    private const string GrainBaseClass = "ChatCluster.Runtime.Grain";

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var interfaces = context.SyntaxProvider.CreateSyntaxProvider(
                static (node, _) => node is InterfaceDeclarationSyntax { BaseList: not null },
                static (syntax, ct) => syntax.SemanticModel.GetDeclaredSymbol(syntax.Node, ct) as INamedTypeSymbol)
            .Where(static s => s is not null && IsGrainInterface(s));
        var classes = context.SyntaxProvider.CreateSyntaxProvider(
                static (node, _) => node is ClassDeclarationSyntax { BaseList: not null },
                static (syntax, ct) => syntax.SemanticModel.GetDeclaredSymbol(syntax.Node, ct) as INamedTypeSymbol)
            .Where(static s => s is not null && !s.IsAbstract && DerivesFrom(s, GrainBaseClass));
        var all = interfaces.Collect().Combine(classes.Collect()).Combine(context.CompilationProvider.Select(static (c, _) => c.AssemblyName ?? "Grains"));
        context.RegisterSourceOutput(all, static (output, input) =>
        {
            var ((interfaceSymbols, classSymbols), assemblyName) = input;
            Emit(output, interfaceSymbols.Distinct(SymbolEqualityComparer.Default).Cast<INamedTypeSymbol>(),
                classSymbols.Distinct(SymbolEqualityComparer.Default).Cast<INamedTypeSymbol>(), assemblyName);
        });
    }

    private static void Emit(SourceProductionContext output, IEnumerable<INamedTypeSymbol> interfaceSymbols,
        IEnumerable<INamedTypeSymbol> classSymbols, string assemblyName)
    {
        var interfaces = new List<GrainInterfaceModel>();
        foreach (var symbol in interfaceSymbols)
        {
            output.CancellationToken.ThrowIfCancellationRequested();
            if (ReadInterface(symbol, output) is { } model)
            {
                interfaces.Add(model);
            }
        }

        var classes = new List<GrainClassModel>();
        foreach (var symbol in classSymbols)
        {
            output.CancellationToken.ThrowIfCancellationRequested();
            if (ReadClass(symbol, output) is { } model)
            {
                classes.Add(model);
            }
        }

        if (interfaces.Count == 0 && classes.Count == 0)
        {
            return;
        }

        output.AddSource("ChatCluster.Grains.g.cs", GrainSourceWriter.Write(assemblyName, interfaces, classes));
    }

    private static GrainInterfaceModel? ReadInterface(INamedTypeSymbol symbol, SourceProductionContext output)
    {
        if (symbol.IsGenericType)
        {
            output.ReportDiagnostic(Diagnostic.Create(Diagnostics.Generic, symbol.Locations.FirstOrDefault(), symbol.Name));
            return null;
        }

        var methods = new List<GrainMethodModel>();
        var valid = true;
        foreach (var declaring in new[] { symbol }.Concat(symbol.AllInterfaces.Where(i => i.ToDisplayString() is not (GrainInterfaceBase or "ChatCluster.Runtime.IGrain"))))
        {
            foreach (var member in declaring.GetMembers())
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false } method)
                {
                    valid &= ReadMethod(declaring, method, output, methods);
                }
                else if (member is not IMethodSymbol && !member.IsStatic)
                {
                    output.ReportDiagnostic(Diagnostic.Create(Diagnostics.NotAMethod, member.Locations.FirstOrDefault(), declaring.Name, member.Name));
                    valid = false;
                }
            }
        }

        return valid ? new GrainInterfaceModel(symbol.ToDisplayString(TypeFormat), GrainTypeOf(symbol), methods) : null;
    }

    private static bool ReadMethod(INamedTypeSymbol declaring, IMethodSymbol method, SourceProductionContext output, List<GrainMethodModel> methods)
    {
        var location = method.Locations.FirstOrDefault();
        var name = declaring.Name + "." + method.Name;
        if (method.IsGenericMethod)
        {
            output.ReportDiagnostic(Diagnostic.Create(Diagnostics.GenericMethod, location, name));
            return false;
        }

        string? resultType;
        var returnType = method.ReturnType as INamedTypeSymbol;
        var returnName = returnType?.ConstructedFrom.ToDisplayString();
        if (returnName == "System.Threading.Tasks.Task")
        {
            resultType = null;
        }
        else if (returnName == "System.Threading.Tasks.Task<TResult>")
        {
            resultType = returnType!.TypeArguments[0].ToDisplayString(TypeFormat);
        }
        else
        {
            output.ReportDiagnostic(Diagnostic.Create(Diagnostics.BadReturnType, location, name, method.ReturnType.ToDisplayString()));
            return false;
        }

        var parameters = new List<(string, string)>();
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                output.ReportDiagnostic(Diagnostic.Create(Diagnostics.ByRefParameter, location, name, parameter.Name));
                return false;
            }

            parameters.Add((parameter.Type.ToDisplayString(TypeFormat), parameter.Name));
        }

        var alwaysInterleave = method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "ChatCluster.Runtime.AlwaysInterleaveAttribute");
        methods.Add(new GrainMethodModel(declaring.ToDisplayString(TypeFormat), method.Name, resultType, parameters, alwaysInterleave));
        return true;
    }

    private static GrainClassModel? ReadClass(INamedTypeSymbol symbol, SourceProductionContext output)
    {
        if (symbol.IsGenericType)
        {
            output.ReportDiagnostic(Diagnostic.Create(Diagnostics.Generic, symbol.Locations.FirstOrDefault(), symbol.Name));
            return null;
        }

        // A class serves its most derived grain interfaces: a base interface shared by several grain
        // classes would otherwise have several classes and no single owner.
        var implemented = symbol.AllInterfaces.Where(IsGrainInterface).ToList();
        var grainInterfaces = implemented
            .Where(i => !implemented.Any(other => other.AllInterfaces.Contains(i, SymbolEqualityComparer.Default)))
            .ToList();
        if (grainInterfaces.Count == 0)
        {
            return null;
        }

        var constructors = symbol.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
        if (constructors.Count != 1)
        {
            output.ReportDiagnostic(Diagnostic.Create(Diagnostics.AmbiguousConstructor, symbol.Locations.FirstOrDefault(), symbol.Name, constructors.Count));
            return null;
        }

        var arguments = new List<string>();
        foreach (var parameter in constructors[0].Parameters)
        {
            var type = parameter.Type.ToDisplayString(TypeFormat);
            var stateAttribute = parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "ChatCluster.Runtime.PersistentStateAttribute");
            if (stateAttribute is not null)
            {
                if (parameter.Type is not INamedTypeSymbol { TypeArguments.Length: 1 } stateType
                    || stateType.ConstructedFrom.ToDisplayString() != "ChatCluster.Runtime.IPersistentState<TState>")
                {
                    output.ReportDiagnostic(Diagnostic.Create(Diagnostics.BadPersistentState, parameter.Locations.FirstOrDefault(), symbol.Name, parameter.Name));
                    return null;
                }

                var stateName = GrainSourceWriter.Literal(stateAttribute.ConstructorArguments[0].Value as string ?? "");
                var storageName = stateAttribute.ConstructorArguments.Length > 1 && stateAttribute.ConstructorArguments[1].Value is string storage
                    ? GrainSourceWriter.Literal(storage)
                    : "null";
                arguments.Add($"context.GetPersistentState<{stateType.TypeArguments[0].ToDisplayString(TypeFormat)}>({stateName}, {storageName})");
            }
            else if (parameter.Type.ToDisplayString() == "ChatCluster.Runtime.IGrainContext")
            {
                arguments.Add("context");
            }
            else
            {
                arguments.Add($"global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<{type}>(services)");
            }
        }

        var reentrant = false;
        for (var type = symbol; type is not null; type = type.BaseType)
        {
            reentrant |= type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "ChatCluster.Runtime.ReentrantAttribute");
        }

        return new GrainClassModel(
            symbol.ToDisplayString(TypeFormat),
            reentrant,
            grainInterfaces.Select(i => (i.ToDisplayString(TypeFormat), GrainTypeOf(i))).ToList(),
            arguments);
    }

    private static bool IsGrainInterface(INamedTypeSymbol symbol) =>
        symbol.TypeKind == TypeKind.Interface
        && symbol.ToDisplayString() != GrainInterfaceBase
        && symbol.AllInterfaces.Any(i => i.ToDisplayString() == GrainInterfaceBase);

    private static bool DerivesFrom(INamedTypeSymbol symbol, string baseClass)
    {
        for (var type = symbol.BaseType; type is not null; type = type.BaseType)
        {
            if (type.ToDisplayString() == baseClass)
            {
                return true;
            }
        }

        return false;
    }

    // [GrainType("name")] if present; otherwise the interface name without its I prefix and Grain suffix, lower case.
    private static string GrainTypeOf(INamedTypeSymbol grainInterface)
    {
        var attribute = grainInterface.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "ChatCluster.Runtime.GrainTypeAttribute");
        if (attribute?.ConstructorArguments.FirstOrDefault().Value is string explicitName)
        {
            return explicitName;
        }

        var name = grainInterface.Name;
        if (name.Length > 1 && name[0] == 'I' && char.IsUpper(name[1]))
        {
            name = name.Substring(1);
        }

        if (name.Length > "Grain".Length && name.EndsWith("Grain", System.StringComparison.Ordinal))
        {
            name = name.Substring(0, name.Length - "Grain".Length);
        }

        return name.ToLowerInvariant();
    }
}
