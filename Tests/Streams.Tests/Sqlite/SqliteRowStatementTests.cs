using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>Values bound by position store what a <see cref="SqliteCommand"/> with parameters would have stored.</summary>
public sealed class SqliteRowStatementTests
{
    [Fact]
    public void Text_numbers_and_bytes_round_trip_and_empty_values_are_not_null()
    {
        using var connection = InMemory("CREATE TABLE t (a TEXT NOT NULL, b INTEGER NOT NULL, c BLOB NOT NULL, d TEXT NOT NULL)");

        using (var insert = new SqliteRowStatement(connection, "INSERT INTO t (a, b, c, d) VALUES (?1, ?2, ?3, ?4)"))
        {
            foreach (var (a, b, c) in new[] { ("héllo 🌍 \"x\"", long.MaxValue, new byte[] { 0, 1, 255 }), ("", -1L, Array.Empty<byte>()) })
            {
                insert.Text(1, a);
                insert.Number(2, b);
                insert.Bytes(3, c);
                insert.Text(4, a + "!");
                Assert.Equal(1, insert.Execute());
            }
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT a, b, c, d, typeof(a), typeof(c) FROM t ORDER BY b DESC";
        using var rows = read.ExecuteReader();
        Assert.True(rows.Read());
        Assert.Equal(("héllo 🌍 \"x\"", long.MaxValue, "héllo 🌍 \"x\"!"), (rows.GetString(0), rows.GetInt64(1), rows.GetString(3)));
        Assert.Equal(new byte[] { 0, 1, 255 }, (byte[])rows.GetValue(2));
        Assert.True(rows.Read());
        Assert.Equal(("", -1L, "text", "blob"), (rows.GetString(0), rows.GetInt64(1), rows.GetString(4), rows.GetString(5)));
        Assert.False(rows.Read());
    }

    [Fact]
    public void A_failed_row_throws_with_sqlite_s_message_and_the_statement_runs_again_after_it()
    {
        using var connection = InMemory("CREATE TABLE t (k INTEGER PRIMARY KEY)");

        using var insert = new SqliteRowStatement(connection, "INSERT INTO t (k) VALUES (?1)");
        insert.Number(1, 7);
        insert.Execute();
        var error = Assert.Throws<SqliteException>(() => insert.Execute());
        Assert.Contains("UNIQUE", error.Message, StringComparison.Ordinal);
        insert.Number(1, 8);
        Assert.Equal(1, insert.Execute());
        Assert.Throws<SqliteException>(() => new SqliteRowStatement(connection, "INSERT INTO missing VALUES (?1)").Dispose());
    }

    [Fact]
    public void A_one_row_query_reads_its_integer_again_and_again_and_no_row_is_an_error()
    {
        using var connection = InMemory("CREATE TABLE t (q INTEGER NOT NULL, o INTEGER NOT NULL)");
        using (var insert = new SqliteRowStatement(connection, "INSERT INTO t (q, o) VALUES (?1, ?2)"))
        {
            foreach (var (q, o) in new[] { (1L, 5L), (1, 9), (2, 3) })
            {
                insert.Number(1, q);
                insert.Number(2, o);
                insert.Execute();
            }
        }

        using var end = new SqliteRowStatement(connection, "SELECT coalesce(max(o), 0) FROM t WHERE q = ?1");
        var ends = new[] { 1L, 2, 3, 1 }.Select(q =>
        {
            end.Number(1, q);
            return end.ReadInt64();
        });
        Assert.Equal([9L, 3, 0, 9], ends);

        using var none = new SqliteRowStatement(connection, "SELECT o FROM t WHERE q = 4");
        Assert.Throws<SqliteException>(() => none.ReadInt64());
    }

    private static SqliteConnection InMemory(string schema)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = schema;
        create.ExecuteNonQuery();
        return connection;
    }
}
