using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ChatCluster.Streams.Tests.Conformance;
using Orleans.TestingHost;
using Xunit;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>Wrong settings are refused, and the messages name them.</summary>
public sealed class SqliteLogOptionsTests
{
    [Fact]
    public void Defaults_are_valid_once_the_file_is_set()
    {
        Assert.Empty(new SqliteLogOptions { DatabasePath = "log.db" }.Validate());
        Assert.Empty(new LogReader("persist", "a", "b").Validate());
    }

    [Theory]
    [InlineData("DatabasePath")]
    [InlineData("Queues")]
    [InlineData("MaxWritesPerCommit")]
    [InlineData("TailCapacity")]
    [InlineData("ExternalPollPeriod")]
    [InlineData("TrimPeriod")]
    [InlineData("MaxRecordsPerTrim")]
    public void Each_bad_option_is_named(string property)
    {
        var options = new SqliteLogOptions { DatabasePath = "log.db" };
        switch (property)
        {
            case "DatabasePath": options.DatabasePath = " "; break;
            case "Queues": options.Queues = 0; break;
            case "MaxWritesPerCommit": options.MaxWritesPerCommit = 0; break;
            case "TailCapacity": options.TailCapacity = -1; break;
            case "ExternalPollPeriod": options.ExternalPollPeriod = TimeSpan.Zero; break;
            case "TrimPeriod": options.TrimPeriod = TimeSpan.FromSeconds(-1); break;
            case "MaxRecordsPerTrim": options.MaxRecordsPerTrim = 0; break;
        }

        var error = Assert.Single(options.Validate());
        Assert.Contains($"SqliteLogOptions.{property}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_readers_are_refused_at_registration()
    {
        var silo = new FakeSiloBuilder();
        var duplicate = Assert.Throws<ArgumentException>(() => silo.AddSqliteLog("log", _ => { }, new LogReader("log", "a", "b")));
        Assert.Contains("LogReader.ProviderName 'log' is used twice", duplicate.Message, StringComparison.Ordinal);

        var sameNamespace = Assert.Throws<ArgumentException>(() => silo.AddSqliteLog("log", _ => { }, new LogReader("x", "a", "b"), new LogReader("y", "a", "b")));
        Assert.Contains("LogReader.DeliveredNamespace 'b'", sameNamespace.Message, StringComparison.Ordinal);

        var batch = Assert.Throws<ArgumentException>(() => silo.AddSqliteLog("log", _ => { }, new LogReader("x", "a", "a") { BatchSize = 0 }));
        Assert.Contains("LogReader.DeliveredNamespace must differ", batch.Message, StringComparison.Ordinal);
        Assert.Contains("LogReader.BatchSize", batch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_with_a_bad_log_does_not_start()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddSqliteLog("log", options => options.Queues = 0, new LogReader("persist", TestNamespaces.Source, TestNamespaces.Persist)));
        await using var cluster = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(cluster.DeployAsync);
        var message = error.ToString();
        Assert.Contains("SqliteLogOptions.DatabasePath", message, StringComparison.Ordinal);
        Assert.Contains("SqliteLogOptions.Queues", message, StringComparison.Ordinal);
    }
}

/// <summary>A silo builder that only collects services, for registration checks.</summary>
internal sealed class FakeSiloBuilder : ISiloBuilder
{
    public IServiceCollection Services { get; } = new ServiceCollection();

    public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
}
