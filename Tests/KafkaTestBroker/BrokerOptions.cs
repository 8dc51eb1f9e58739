using System.Globalization;
using System.Text.RegularExpressions;

namespace ChatCluster.TestBroker;

/// <summary>The command line: <c>[--brokers N] [--topic NAME:PARTITIONS[:REPLICATION] ...] [--parent-pid PID]</c>.</summary>
internal sealed partial record BrokerOptions(int Brokers, IReadOnlyList<TopicSpec> Topics, int? ParentProcessId)
{
    public const string Usage =
        "usage: dotnet ChatCluster.KafkaTestBroker.dll [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION]]... [--parent-pid PID]";

    private const int DefaultBrokers = 3;
    private const int MaxBrokers = 32;

    /// <summary>Parses <paramref name="args"/>; on failure returns null and a one-line reason in <paramref name="error"/>.</summary>
    public static BrokerOptions? TryParse(IReadOnlyList<string> args, out string? error)
    {
        var brokers = DefaultBrokers;
        int? parentProcessId = null;
        var topicArguments = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is not ("--brokers" or "--topic" or "--parent-pid"))
            {
                error = $"unknown argument '{name}'";
                return null;
            }

            if (i + 1 >= args.Count)
            {
                error = $"{name} needs a value";
                return null;
            }

            var value = args[++i];
            switch (name)
            {
                case "--brokers":
                    if (!TryParsePositive(value, out brokers) || brokers > MaxBrokers)
                    {
                        error = $"--brokers must be a whole number from 1 to {MaxBrokers}, not '{value}'";
                        return null;
                    }

                    break;
                case "--parent-pid":
                    if (!TryParsePositive(value, out var pid))
                    {
                        error = $"--parent-pid must be a process id, not '{value}'";
                        return null;
                    }

                    parentProcessId = pid;
                    break;
                default:
                    topicArguments.Add(value);
                    break;
            }
        }

        // Topics last: their default replication factor depends on --brokers, wherever it stands.
        var topics = new List<TopicSpec>();
        foreach (var value in topicArguments)
        {
            var topic = TryParseTopic(value, brokers, out error);
            if (topic is null)
            {
                return null;
            }

            if (topics.Any(t => t.Name == topic.Name))
            {
                error = $"topic '{topic.Name}' is given twice";
                return null;
            }

            topics.Add(topic);
        }

        error = null;
        return new BrokerOptions(brokers, topics, parentProcessId);
    }

    private static TopicSpec? TryParseTopic(string value, int brokers, out string? error)
    {
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3)
        {
            error = $"--topic must be NAME:PARTITIONS[:REPLICATION], not '{value}'";
            return null;
        }

        if (!TopicName().IsMatch(parts[0]) || parts[0] is "." or "..")
        {
            error = $"'{parts[0]}' is not a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)";
            return null;
        }

        if (!TryParsePositive(parts[1], out var partitions))
        {
            error = $"the partition count of topic '{parts[0]}' must be a positive whole number, not '{parts[1]}'";
            return null;
        }

        var replication = Math.Min(3, brokers);
        if (parts.Length == 3 && (!TryParsePositive(parts[2], out replication) || replication > brokers))
        {
            error = $"the replication factor of topic '{parts[0]}' must be from 1 to the broker count {brokers}, not '{parts[2]}'";
            return null;
        }

        error = null;
        return new TopicSpec(parts[0], partitions, replication);
    }

    private static bool TryParsePositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,249}$")]
    private static partial Regex TopicName();
}
