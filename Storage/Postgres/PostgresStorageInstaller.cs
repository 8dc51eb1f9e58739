using Npgsql;

namespace ChatCluster.Storage.Postgres;

/// <summary>
/// Applies <c>orleans-storage.sql</c> (the grain state table and the provider's <c>OrleansQuery</c>
/// rows) in one transaction under a transaction-scoped advisory lock, so that silos starting together
/// on one database apply it one after another instead of racing on <c>CREATE TABLE IF NOT EXISTS</c>.
/// </summary>
internal static class PostgresStorageInstaller
{
    /// <summary>The advisory lock key ("ChatClGS"); any session applying this script holds it.</summary>
    internal const long AdvisoryLockKey = 0x43686174436C4753;

    private static readonly Lazy<string> Script = new(() => EmbeddedSql.Load(EmbeddedSql.PostgresStorage));

    public static async Task ApplyAsync(string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var connection = new NpgsqlConnection(connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var takeLock = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction)
                {
                    Parameters = { new NpgsqlParameter<long> { TypedValue = AdvisoryLockKey } },
                };
                await using (takeLock.ConfigureAwait(false))
                {
                    await takeLock.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var apply = new NpgsqlCommand(Script.Value, connection, transaction);
                await using (apply.ConfigureAwait(false))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
