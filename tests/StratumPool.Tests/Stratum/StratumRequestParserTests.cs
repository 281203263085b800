using System.Buffers;
using System.Text;
using StratumPool.Stratum;

namespace StratumPool.Tests.Stratum;

public sealed class StratumRequestParserTests
{
    private static StratumRequest Parse(string json)
    {
        Assert.True(StratumRequestParser.TryParse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), out var request, out var error), error);
        return request;
    }

    private static string Fail(string json)
    {
        Assert.False(StratumRequestParser.TryParse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), out _, out var error));
        return error;
    }

    [Fact]
    public void Submit_as_cpuminer_sends_it()
    {
        var request = Parse("""{"method": "mining.submit", "params": ["w.1", "1a", "00000001", "5f5e1000", "deadbeef"], "id":4}""");

        Assert.Equal(StratumMethod.Submit, request.Method);
        Assert.Equal(new StratumId(StratumIdKind.Number, "4"), request.Id);
        Assert.Equal("deadbeef", request.Param(4).AsString());
        Assert.Equal(StratumValueKind.Null, request.Param(5).Kind);
    }

    [Fact]
    public void Configure_with_nested_params()
    {
        var request = Parse("""{"id":"c1","method":"mining.configure","params":[["version-rolling","minimum-difficulty"],{"version-rolling.mask":"ffffffff","version-rolling.min-bit-count":2,"minimum-difficulty.value":2048}]}""");

        Assert.Equal(StratumMethod.Configure, request.Method);
        Assert.Equal(StratumIdKind.String, request.Id.Kind);
        Assert.Equal(["version-rolling", "minimum-difficulty"], request.Param(0).Items.Select(i => i.AsString()));
        Assert.Equal("ffffffff", request.Param(1).Fields["version-rolling.mask"].AsString());
        Assert.True(request.Param(1).Fields["minimum-difficulty.value"].TryGetDouble(out var value));
        Assert.Equal(2048, value);
    }

    [Theory]
    [InlineData("""{"id":1,"method":"mining.suggest_difficulty","params":[0.0001]}""", 0.0001)]
    [InlineData("""{"id":1,"method":"mining.suggest_difficulty","params":["0.5"]}""", 0.5)]
    public void Suggest_difficulty_as_number_or_string(string json, double expected)
    {
        var request = Parse(json);
        Assert.True(request.Param(0).TryGetDouble(out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void Unknown_method_is_parsed_not_refused()
    {
        var request = Parse("""{"id":9,"method":"mining.frobnicate","params":[]}""");
        Assert.Equal(StratumMethod.Unknown, request.Method);
        Assert.Equal("mining.frobnicate", request.MethodName);
    }

    [Theory]
    [InlineData("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[")]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("""{"id":1,"params":[]}""")]
    [InlineData("""{"id":1,"method":7,"params":[]}""")]
    [InlineData("""{"id":1,"method":"mining.subscribe","params":[]} {"id":2}""")]
    [InlineData("""{"id":[1],"method":"mining.subscribe","params":[]}""")]
    public void Malformed_lines_are_refused_with_a_reason(string json)
    {
        Assert.False(string.IsNullOrEmpty(Fail(json)));
    }
}
