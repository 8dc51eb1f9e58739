using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// The Kafka broker of the Kafka provider's integration tests: the bootstrap servers in the environment variable
/// <c>CHATCLUSTER_KAFKA</c> (e.g. <c>127.0.0.1:9092</c>). None can be installed on the development machines, so where
/// the variable is unset those tests are reported skipped, with <see cref="SkipReason"/>.
/// </summary>
public static class KafkaBroker
{
    public const string Variable = "CHATCLUSTER_KAFKA";

    /// <summary>The broker's bootstrap servers, or null when <c>CHATCLUSTER_KAFKA</c> is unset.</summary>
    public static string? BootstrapServers =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } servers && !string.IsNullOrWhiteSpace(servers) ? servers.Trim() : null;

    /// <summary>Why the broker tests are skipped, or null when they run.</summary>
    public static string? SkipReason => BootstrapServers is null
        ? $"No Kafka broker: set {Variable}=host:port to run the Kafka provider tests"
        : null;

    /// <summary>A topic prefix of its own for each test (topics and consumer groups stay on the broker after the run).</summary>
    public static string UniquePrefix() => "cctest-" + Guid.NewGuid().ToString("N")[..16];
}

/// <summary>A fact that needs the Kafka broker of <see cref="KafkaBroker"/>: skipped, with the reason, without one.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KafkaFactAttribute : FactAttribute
{
    public KafkaFactAttribute()
    {
        if (KafkaBroker.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// On a subclass of <see cref="StreamConformanceTests"/>: the suite's tests (<see cref="ConformanceFactAttribute"/>) are
/// skipped in that subclass, with <see cref="Reason"/>, when it is not null; the other subclasses run them as usual.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public abstract class ConformanceSkipAttribute : Attribute
{
    /// <summary>Why the suite is skipped for this provider now, or null to run it.</summary>
    public abstract string? Reason { get; }
}

/// <summary>The conformance suite of this class needs the Kafka broker of <see cref="KafkaBroker"/>.</summary>
public sealed class KafkaBrokerRequiredAttribute : ConformanceSkipAttribute
{
    public override string? Reason => KafkaBroker.SkipReason;
}

/// <summary>
/// A test of the conformance suite: a <see cref="FactAttribute"/> that is skipped in a subclass marked with a
/// <see cref="ConformanceSkipAttribute"/> whose reason is set (xunit 2 has no skip at run time, and the suite's facts are
/// inherited, so the skip is decided per concrete class when the tests are discovered).
/// </summary>
[XunitTestCaseDiscoverer("ChatCluster.Runtime.Tests.Streams.ConformanceFactDiscoverer", "ChatCluster.Runtime.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceFactAttribute : FactAttribute;

/// <summary>Discovers <see cref="ConformanceFactAttribute"/> tests as <see cref="ConformanceTestCase"/>s.</summary>
public sealed class ConformanceFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new ConformanceTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
}

/// <summary>A fact whose skip reason is its attribute's, else the test class's <see cref="ConformanceSkipAttribute"/>.</summary>
public sealed class ConformanceTestCase : XunitTestCase
{
    [Obsolete("For deserialization only.")]
    public ConformanceTestCase() { }

    public ConformanceTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, displayOptions, testMethod) { }

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        base.GetSkipReason(factAttribute)
        ?? TestMethod.TestClass.Class.ToRuntimeType()?.GetCustomAttribute<ConformanceSkipAttribute>(inherit: false)?.Reason!;
}
