using System.Collections.Generic;

namespace ChatCluster.Runtime.Generator;

/// <summary>A grain interface declared in the compilation, as the emitter needs it.</summary>
internal sealed class GrainInterfaceModel
{
    public GrainInterfaceModel(string fullName, string grainType, List<GrainMethodModel> methods)
    {
        FullName = fullName;
        GrainType = grainType;
        Methods = methods;
    }

    public string FullName { get; }

    public string GrainType { get; }

    public List<GrainMethodModel> Methods { get; }
}

/// <summary>One method of a grain interface.</summary>
internal sealed class GrainMethodModel
{
    public GrainMethodModel(string declaringInterface, string name, string? resultType, List<(string Type, string Name)> parameters, bool alwaysInterleave)
    {
        DeclaringInterface = declaringInterface;
        Name = name;
        ResultType = resultType;
        Parameters = parameters;
        AlwaysInterleave = alwaysInterleave;
    }

    public string DeclaringInterface { get; }

    public string Name { get; }

    /// <summary>The T of Task&lt;T&gt;; null for a method returning Task.</summary>
    public string? ResultType { get; }

    public List<(string Type, string Name)> Parameters { get; }

    public bool AlwaysInterleave { get; }
}

/// <summary>A grain class declared in the compilation.</summary>
internal sealed class GrainClassModel
{
    public GrainClassModel(string fullName, bool isReentrant, List<(string Interface, string GrainType)> interfaces, List<string> constructorArguments)
    {
        FullName = fullName;
        IsReentrant = isReentrant;
        Interfaces = interfaces;
        ConstructorArguments = constructorArguments;
    }

    public string FullName { get; }

    public bool IsReentrant { get; }

    public List<(string Interface, string GrainType)> Interfaces { get; }

    /// <summary>C# expressions over <c>services</c> and <c>context</c>, one per constructor parameter.</summary>
    public List<string> ConstructorArguments { get; }
}
