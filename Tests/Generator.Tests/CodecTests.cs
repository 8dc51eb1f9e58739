using System.Buffers;
using System.Reflection;
using System.Text.Json;
using ChatCluster.Runtime.Manifest;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ChatCluster.Runtime.Generator.Tests;

/// <summary>
/// The generated call codecs: a call's arguments and result written on one silo read back equal on
/// the other, for every kind of value the chat grains pass; method ids name the calls.
/// </summary>
public sealed class CodecTests
{
    private const string Source = """
        using System.Collections.Generic;
        using ChatCluster.Runtime;
        namespace Wire;
        public readonly record struct Spot(string Id, int Port);
        public sealed record Note(string Text, long Seq, IReadOnlyList<string> Tags, Spot? Where);
        public interface IBaseGrain : IGrainWithStringKey { Task<bool> Inherited(bool flag); }
        [GrainType("wire")]
        public interface IWireGrain : IBaseGrain
        {
            Task<Note> Annotate(string text, long seq, int count, bool flag, Spot? spot, Note note, IReadOnlyList<Spot> spots, long[] numbers);
            Task Touch();
            Task<Spot?> Find(string? name);
            Task<IReadOnlyList<Note>> All();
            Task<string?> Nothing();
        }
        """;

    private static readonly Lazy<Func<int, object?>> Calls = new(() => AssemblyManifest.Of(Compile(Source)).CallFactories["wire"]);

    [Fact]
    public void Methods_get_ids_in_declaration_order_then_inherited_ones()
    {
        var names = Enumerable.Range(0, 7).Select(id => (Calls.Value(id) as IRemotableCall)?.ToString()).ToList();

        Assert.Equal(["IWireGrain.Annotate", "IWireGrain.Touch", "IWireGrain.Find", "IWireGrain.All", "IWireGrain.Nothing", "IBaseGrain.Inherited", null], names);
        Assert.Equal(Enumerable.Range(0, 6), Enumerable.Range(0, 6).Select(id => Call(id).MethodId));
    }

    [Fact]
    public void Arguments_of_every_kind_round_trip()
    {
        var sent = Call(0);
        dynamic spot = Value("Wire.Spot", "s-1", 8080);
        var note = Value("Wire.Note", "héllo \"quoted\"", long.MinValue, new[] { "a", "b" }, null);
        Array spots = Array.CreateInstance(spot.GetType(), 2);
        spots.SetValue(spot, 0);
        spots.SetValue(Value("Wire.Spot", "s-2", 1), 1);
        SetArgs(sent, "text ✓", long.MaxValue, -7, true, spot, note, spots, new long[] { 1, -2, 3 });

        var received = RoundTripArguments(sent, 0);

        Assert.Equal("text ✓", Arg(received, 0));
        Assert.Equal(long.MaxValue, Arg(received, 1));
        Assert.Equal(-7, Arg(received, 2));
        Assert.Equal(true, Arg(received, 3));
        Assert.Equal((object)spot, Arg(received, 4));
        dynamic readNote = Arg(received, 5)!;
        Assert.Equal("héllo \"quoted\"", (string)readNote.Text);
        Assert.Equal(long.MinValue, (long)readNote.Seq);
        Assert.Equal(["a", "b"], (IEnumerable<string>)readNote.Tags);
        Assert.Null((object?)readNote.Where);
        Assert.Equal(spots.Cast<object>(), ((System.Collections.IEnumerable)Arg(received, 6)!).Cast<object>());
        Assert.Equal(new long[] { 1, -2, 3 }, (long[])Arg(received, 7)!);
    }

    [Fact]
    public void Null_arguments_round_trip()
    {
        var sent = Call(2);
        SetArgs(sent, [null]);

        var received = RoundTripArguments(sent, 2);

        Assert.Null(Arg(received, 0));
    }

    [Fact]
    public void Method_without_parameters_writes_no_payload()
    {
        var written = WriteArguments(Call(1));

        Assert.Empty(written);
    }

    [Fact]
    public void Missing_or_extra_arguments_fail_to_read()
    {
        Assert.ThrowsAny<JsonException>(() => Call(2).ReadArguments(new ReadOnlySequence<byte>("[]"u8.ToArray())));
        Assert.ThrowsAny<JsonException>(() => Call(2).ReadArguments(new ReadOnlySequence<byte>("[\"a\",\"b\"]"u8.ToArray())));
    }

    [Fact]
    public async Task Results_of_every_kind_round_trip()
    {
        dynamic spot = Value("Wire.Spot", "s", 1);
        var note = Value("Wire.Note", "n", 5L, new[] { "t" }, spot);
        Array notes = Array.CreateInstance(note.GetType(), 1);
        notes.SetValue(note, 0);

        dynamic annotated = (await RoundTripResult(0, note))!;
        Assert.Equal("n", (string)annotated.Text);
        Assert.Equal((object)spot, (object)annotated.Where);
        Assert.Null(await RoundTripResult(1, null)); // Task: no result
        Assert.Equal((object)spot, await RoundTripResult(2, spot));
        Assert.Null(await RoundTripResult(2, null)); // Spot? null
        var all = (System.Collections.IEnumerable)(await RoundTripResult(3, notes))!;
        Assert.Equal("n", (string)((dynamic)all.Cast<object>().Single()).Text);
        Assert.Null(await RoundTripResult(4, null)); // string? null
        Assert.Equal(true, await RoundTripResult(5, true));
    }

    [Fact]
    public void Method_returning_Task_writes_an_empty_result()
    {
        var call = Call(1);
        Complete(call, null);
        var payload = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(payload))
        {
            call.WriteResult(writer);
        }

        Assert.Equal(0, payload.WrittenCount);
    }

    private static IRemotableCall Call(int methodId) => (IRemotableCall)Calls.Value(methodId)!;

    private static object Value(string typeName, params object?[] arguments)
    {
        var type = Calls.Value(0)!.GetType().Assembly.GetType(typeName, throwOnError: true)!;
        return Activator.CreateInstance(type, arguments)!;
    }

    private static void SetArgs(IRemotableCall call, params object?[] values)
    {
        for (var n = 0; n < values.Length; n++)
        {
            call.GetType().GetField($"Arg{n}")!.SetValue(call, values[n]);
        }
    }

    private static object? Arg(IRemotableCall call, int n) => call.GetType().GetField($"Arg{n}")!.GetValue(call);

    private static byte[] WriteArguments(IRemotableCall call)
    {
        var payload = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(payload))
        {
            call.WriteArguments(writer);
        }

        return payload.WrittenSpan.ToArray();
    }

    private static IRemotableCall RoundTripArguments(IRemotableCall sent, int methodId)
    {
        var bytes = WriteArguments(sent);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(bytes).RootElement.ValueKind);
        var received = Call(methodId);
        received.ReadArguments(new ReadOnlySequence<byte>(bytes));
        return received;
    }

    private static async Task<object?> RoundTripResult(int methodId, object? result)
    {
        var sender = Call(methodId);
        Complete(sender, result);
        var payload = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(payload))
        {
            sender.WriteResult(writer);
        }

        var caller = Call(methodId);
        caller.Complete(new ReadOnlySequence<byte>(payload.WrittenMemory));
        await caller.Completion;
        return caller.Completion.GetType().GetProperty("Result")!.GetValue(caller.Completion);
    }

    // Completes a call as its grain method would have (the call is the TaskCompletionSource of its result).
    private static void Complete(IRemotableCall call, object? result) =>
        call.GetType().GetMethod("TrySetResult")!.Invoke(call, [result]);

    // Compiles the source with the generator into an assembly loaded in this process.
    private static Assembly Compile(string source)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(Grain).Assembly.Location));
        var compilation = CSharpCompilation.Create(
            "Wire" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(source, parseOptions),
             CSharpSyntaxTree.ParseText("global using System; global using System.Threading.Tasks;", parseOptions)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new GrainGenerator().AsSourceGenerator()], parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics.Select(d => d.ToString())));
        return Assembly.Load(image.ToArray());
    }
}
