namespace ChatCluster.Bench.Backlog;

/// <summary>What the backlog bench runs; see <see cref="BacklogCommand"/> for each option.</summary>
/// <param name="Provider">The log: redis or kafka.</param>
/// <param name="Messages">Events in the backlog.</param>
/// <param name="Timelines">User timelines they are spread over.</param>
/// <param name="Publishers">Publisher loops; loop j owns the timelines t with t mod Publishers = j.</param>
/// <param name="BatchSize">The persist reader's batch size; null for the silo's.</param>
/// <param name="PersistOnly">Phase 2 without the push group (as the hand-written runtime's bench ran it).</param>
/// <param name="RedisEndpoint">A Redis to use; null to start a private one with AOF.</param>
/// <param name="Postgres">A PostgreSQL connection string to use; null to start a private server.</param>
/// <param name="Partitions">The log's partitions; null for the silo's.</param>
/// <param name="ProgressEvery">Time between progress lines.</param>
internal sealed record BacklogSettings(
    string Provider, int Messages, int Timelines, int Publishers, int? BatchSize, bool PersistOnly, string? RedisEndpoint, string? Postgres, int? Partitions, TimeSpan ProgressEvery);
