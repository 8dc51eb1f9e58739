using System.Text;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Tests.Protocol;

/// <summary>The parser must never throw: random bytes and mangled valid frames all come back as a frame or an error.</summary>
public class FuzzTests
{
    private static readonly string[] ValidFrames =
    [
        """{"type":"send","id":"1","to":"user:bob","clientMsgId":"a-1","body":{"text":"hi","n":[1,2.5,{"x":null}],"é":"😀"}}""",
        """{"type":"sync","id":"2","timeline":"group:g1","afterSeq":10,"limit":50}""",
        """{"type":"timelines","id":"3"}""",
        """{"type":"read","id":"4","timeline":"user:alice","seq":7}""",
        """{"type":"group.create","id":"5","group":"g1","members":["bob","carol"]}""",
        """{"type":"group.join","id":"6","group":"g1"}""",
        """{"type":"group.leave","id":"7","group":"g1"}""",
        """{"type":"group.members","id":"8","group":"g1"}""",
        """{"type":"ping","id":"9"}""",
    ];

    private static readonly byte[] Interesting = Encoding.UTF8.GetBytes("{}[]\":,-.0123456789eEtrufalsn\\u ");

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(1234);
        for (var i = 0; i < 10_000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            AssertAnswers(bytes);
        }
    }

    [Fact]
    public void Mutated_valid_frames_never_throw()
    {
        var random = new Random(5678);
        var limits = new ProtocolLimits { MaxBodyBytes = 40, MaxGroupMembers = 1 };
        for (var i = 0; i < 10_000; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(ValidFrames[random.Next(ValidFrames.Length)]).ToList();
            var edits = random.Next(1, 6);
            for (var e = 0; e < edits && bytes.Count > 0; e++)
            {
                var at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0:
                        bytes[at] = Interesting[random.Next(Interesting.Length)];
                        break;
                    case 1:
                        bytes[at] = (byte)random.Next(256);
                        break;
                    case 2:
                        bytes.RemoveAt(at);
                        break;
                    default:
                        bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                        break;
                }
            }

            AssertAnswers([.. bytes], i % 2 == 0 ? ProtocolLimits.Default : limits);
        }
    }

    [Fact]
    public void Deep_nesting_is_refused_not_thrown()
    {
        var deep = "{\"type\":\"send\",\"to\":\"user:b\",\"clientMsgId\":\"c\",\"body\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5001);
        Frames.Invalid(deep);
    }

    private static void AssertAnswers(byte[] bytes, ProtocolLimits? limits = null)
    {
        var result = ClientFrameParser.Parse(bytes, limits ?? ProtocolLimits.Default);
        Assert.True(result.IsFrame ^ (result.Error is not null));
        if (result.Error is { } error)
        {
            Assert.Contains(error.Code, ErrorCodes.All);
            Assert.False(string.IsNullOrEmpty(error.Message));
        }
    }
}
