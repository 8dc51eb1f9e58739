using System.Text;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Tests.Redis;

public sealed class RedisReplyTests
{
    [Fact]
    public void Accessors_return_the_value_of_their_own_kind()
    {
        Assert.Equal("OK", RedisReply.FromSimpleString("OK").AsString());
        Assert.Equal(42, RedisReply.FromInteger(42).AsInt64());
        Assert.Equal(-17, RedisReply.FromBulkString("-17"u8.ToArray()).AsInt64());
        Assert.Equal("héllo", RedisReply.FromBulkString(Encoding.UTF8.GetBytes("héllo")).AsString());
        Assert.Equal([1, 2, 3], RedisReply.FromBulkString([1, 2, 3]).AsBytes().ToArray());
        Assert.Null(RedisReply.NullBulkString.AsString());
        Assert.True(RedisReply.NullBulkString.IsNull);
        Assert.True(RedisReply.NullArray.IsNull);
        Assert.False(RedisReply.EmptyArray.IsNull);
        Assert.Empty(RedisReply.EmptyArray.AsArray());
        Assert.Equal(2, RedisReply.FromArray([RedisReply.FromInteger(1), RedisReply.NullBulkString]).AsArray().Count);
    }

    [Fact]
    public void Misuse_throws_an_invalid_cast_that_names_the_actual_kind()
    {
        Assert.Contains("an Integer (:42), not a string", Assert.Throws<InvalidCastException>(() => RedisReply.FromInteger(42).AsString()).Message, StringComparison.Ordinal);
        Assert.Contains("a BulkString", Assert.Throws<InvalidCastException>(() => RedisReply.FromBulkString("x"u8.ToArray()).AsArray()).Message, StringComparison.Ordinal);
        Assert.Contains("not an integer: \"abc\"", Assert.Throws<InvalidCastException>(() => RedisReply.FromBulkString("abc"u8.ToArray()).AsInt64()).Message, StringComparison.Ordinal);
        Assert.Contains("a null BulkString", Assert.Throws<InvalidCastException>(() => RedisReply.NullBulkString.AsBytes()).Message, StringComparison.Ordinal);
        Assert.Contains("a null Array", Assert.Throws<InvalidCastException>(() => RedisReply.NullArray.AsArray()).Message, StringComparison.Ordinal);
        Assert.Contains("an Array of 0", Assert.Throws<InvalidCastException>(() => RedisReply.EmptyArray.AsInt64()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_element_throws_its_server_error_when_read()
    {
        var error = Assert.Throws<RedisErrorException>(() => RedisReply.FromError("WRONGTYPE Operation against a key").AsString());

        Assert.Equal("WRONGTYPE", error.Kind);
        Assert.Equal("WRONGTYPE Operation against a key", error.Message);
    }
}
