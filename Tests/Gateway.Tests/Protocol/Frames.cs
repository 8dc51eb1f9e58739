using System.Text;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Tests.Protocol;

/// <summary>Test helpers: parse a frame written as a C# string.</summary>
internal static class Frames
{
    public static ParseResult Parse(string json, ProtocolLimits? limits = null) =>
        ClientFrameParser.Parse(Encoding.UTF8.GetBytes(json), limits ?? ProtocolLimits.Default);

    public static T Valid<T>(string json)
        where T : ClientFrame
    {
        var result = Parse(json);
        Assert.True(result.IsFrame, result.Error?.Message);
        return Assert.IsType<T>(result.Frame);
    }

    public static FrameError Invalid(string json, string code = ErrorCodes.BadFrame, ProtocolLimits? limits = null)
    {
        var result = Parse(json, limits);
        Assert.False(result.IsFrame, $"parsed as {result.Frame}");
        Assert.Equal(code, result.Error.Code);
        return result.Error;
    }
}
