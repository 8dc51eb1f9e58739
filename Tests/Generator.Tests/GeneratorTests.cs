using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ChatCluster.Runtime.Generator.Tests;

/// <summary>What a grain developer sees at build time: generated code that compiles, or an error that says what to fix.</summary>
public sealed class GeneratorTests
{
    [Fact]
    public void Valid_grain_compiles_with_a_proxy_per_interface_and_a_factory_per_class()
    {
        var (diagnostics, generated) = Run("""
            using ChatCluster.Runtime;
            namespace Demo;
            [GrainType("thing")]
            public interface IThingGrain : IGrainWithStringKey
            {
                Task<string?> Name(int id, string? prefix);
                [AlwaysInterleave] Task Touch();
            }
            public sealed class ThingState { public int N { get; set; } }
            [Reentrant]
            public sealed class ThingGrain([PersistentState("thing", "archive")] IPersistentState<ThingState> state, System.IServiceProvider services) : Grain, IThingGrain
            {
                public Task<string?> Name(int id, string? prefix) => Task.FromResult<string?>(prefix + id + state.State.N + services);
                public Task Touch() => Task.CompletedTask;
            }
            """);

        Assert.Empty(diagnostics);
        Assert.Contains("manifest.AddInterface<global::Demo.IThingGrain>(\"thing\"", generated, StringComparison.Ordinal);
        Assert.Contains("manifest.AddGrainClass<global::Demo.IThingGrain, global::Demo.ThingGrain>(\"thing\", true,", generated, StringComparison.Ordinal);
        Assert.Contains("context.GetPersistentState<global::Demo.ThingState>(\"thing\", \"archive\")", generated, StringComparison.Ordinal);
        Assert.Contains("public override bool AlwaysInterleave => true;", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void Grain_type_defaults_to_the_interface_name_without_I_and_Grain()
    {
        var (diagnostics, generated) = Run("""
            using ChatCluster.Runtime;
            namespace Demo;
            public interface IChatRoomGrain : IGrainWithStringKey { Task Ping(); }
            """);

        Assert.Empty(diagnostics);
        Assert.Contains("AddInterface<global::Demo.IChatRoomGrain>(\"chatroom\"", generated, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("int Count();", "CCG001")]
    [InlineData("ValueTask Go();", "CCG001")]
    [InlineData("Task<T> Get<T>();", "CCG002")]
    [InlineData("Task Put(ref int x);", "CCG003")]
    [InlineData("int Size { get; }", "CCG004")]
    public void Unsupported_grain_interface_member_is_a_build_error(string member, string expectedId)
    {
        var (diagnostics, _) = Run($$"""
            using ChatCluster.Runtime;
            namespace Demo;
            public interface IBadGrain : IGrainWithStringKey { {{member}} }
            """);

        var error = Assert.Single(diagnostics, d => d.Id.StartsWith("CCG", StringComparison.Ordinal));
        Assert.Equal(expectedId, error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
    }

    [Fact]
    public void Grain_class_with_two_public_constructors_is_a_build_error()
    {
        var (diagnostics, _) = Run("""
            using ChatCluster.Runtime;
            namespace Demo;
            public interface IPairGrain : IGrainWithStringKey { Task Ping(); }
            public sealed class PairGrain : Grain, IPairGrain
            {
                public PairGrain() { }
                public PairGrain(int x) { }
                public Task Ping() => Task.CompletedTask;
            }
            """);

        var error = Assert.Single(diagnostics, d => d.Id.StartsWith("CCG", StringComparison.Ordinal));
        Assert.Equal("CCG006", error.Id);
        Assert.Contains("PairGrain", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    // Runs the generator on the source and compiles the result; returns every error and warning, and the generated text.
    private static (ImmutableArray<Diagnostic> Diagnostics, string Generated) Run(string source)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(Grain).Assembly.Location));
        var compilation = CSharpCompilation.Create(
            "Demo",
            [CSharpSyntaxTree.ParseText(source, parseOptions),
             CSharpSyntaxTree.ParseText("global using System; global using System.Threading.Tasks;", parseOptions)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        CSharpGeneratorDriver.Create([new GrainGenerator().AsSourceGenerator()], parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);

        var generated = string.Concat(output.SyntaxTrees.Skip(2).Select(t => t.ToString()));
        var all = generatorDiagnostics.AddRange(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !d.Id.StartsWith("CCG", StringComparison.Ordinal)));
        return (all, generated);
    }
}
