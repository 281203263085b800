using System.Buffers;
using System.Text;
using StratumProxy.Stratum;

namespace StratumProxy.Tests.Stratum;

public sealed class StratumMessageInspectorTests
{
    private static ReadOnlySequence<byte> Line(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void A_submit_request_gives_method_and_id()
    {
        Assert.True(StratumMessageInspector.TryInspect(Line("""{"params":["w","j","00000001","5f5e1000","deadbeef"],"id":4,"method":"mining.submit"}"""), out var message));
        Assert.Equal(StratumMethod.Submit, message.Method);
        Assert.True(message.HasId);
        Assert.Equal(4, message.IdKey);
    }

    [Fact]
    public void Responses_report_result_and_error_code()
    {
        Assert.True(StratumMessageInspector.TryInspect(Line("""{"id":4,"result":true,"error":null}"""), out var accepted));
        Assert.True(accepted.IsResponse && accepted.ResultIsTrue && !accepted.HasError);

        Assert.True(StratumMessageInspector.TryInspect(Line("""{"id":4,"result":null,"error":[23,"Low difficulty share",null]}"""), out var rejected));
        Assert.True(rejected.HasError);
        Assert.Equal(23, rejected.ErrorCode);

        Assert.True(StratumMessageInspector.TryInspect(Line("""{"id":"a","result":false,"error":{"code":21,"message":"stale"}}"""), out var objectError));
        Assert.Equal(21, objectError.ErrorCode);
        Assert.False(objectError.ResultIsTrue);
    }

    [Fact]
    public void String_and_number_ids_do_not_collide()
    {
        StratumMessageInspector.TryInspect(Line("""{"id":"4","method":"mining.submit","params":[]}"""), out var text);
        StratumMessageInspector.TryInspect(Line("""{"id":4,"method":"mining.submit","params":[]}"""), out var number);
        Assert.NotEqual(text.IdKey, number.IdKey);
    }

    [Fact]
    public void Parameters_of_interest_are_read_on_demand()
    {
        var authorize = Line("""{"id":2,"method":"mining.authorize","params":["bc1qabc.rig7","x"]}""");
        Assert.Equal("bc1qabc.rig7", StratumMessageInspector.ReadParamString(authorize, 0));
        var difficulty = Line("""{"id":null,"method":"mining.set_difficulty","params":[0.0001]}""");
        Assert.Equal(0.0001, StratumMessageInspector.ReadParamNumber(difficulty, 0));
        var asString = Line("""{"id":3,"method":"mining.suggest_difficulty","params":["512"]}""");
        Assert.Equal(512, StratumMessageInspector.ReadParamNumber(asString, 0));
        var subscribeResult = Line("""{"id":1,"result":[[["mining.set_difficulty","1"],["mining.notify","1"]],"08000002",4],"error":null}""");
        Assert.Equal("08000002", StratumMessageInspector.ReadResultString(subscribeResult, 1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1,2,3]")]
    [InlineData("\"mining.submit\"")]
    [InlineData("{\"id\":1,\"method\":\"mining.submit\"")]
    [InlineData("{\"id\":1}{\"id\":2}")]
    [InlineData("{\"id\":1,}")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2")]
    public void Anything_but_one_json_object_is_malformed(string text)
    {
        Assert.False(StratumMessageInspector.TryInspect(Line(text), out _));
    }

    [Fact]
    public void Deep_nesting_is_malformed_not_a_crash()
    {
        var deep = "{\"id\":1,\"params\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.False(StratumMessageInspector.TryInspect(Line(deep), out _));
    }

    [Fact]
    public void Unknown_methods_are_other()
    {
        Assert.True(StratumMessageInspector.TryInspect(Line("""{"id":9,"method":"client.get_version","params":[]}"""), out var message));
        Assert.Equal(StratumMethod.Other, message.Method);
    }
}
