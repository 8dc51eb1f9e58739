using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>The conformance suite on the in-memory table; every reader is the table itself (one process).</summary>
public sealed class LocalMembershipTableConformanceTests : MembershipTableConformanceTests
{
    protected override Task<IMembershipTable> CreateTableAsync() => Task.FromResult<IMembershipTable>(new LocalMembershipTable());

    protected override IMembershipTable OpenReader(IMembershipTable table) => table;
}
