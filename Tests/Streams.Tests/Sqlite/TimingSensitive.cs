using Xunit;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>
/// Tests whose outcome depends on two threads' timing (a writer and a background checkpoint): they run alone, not beside
/// the assembly's other tests, whose CPU use would shift that timing.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive";
}
