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

    [Theory]
    [InlineData("""{"id":null,"method":"mining.notify","params":["job7","00","01","02",[],"20000000","1d00ffff","5f5e1000",true]}""")]
    [InlineData("""{"params": ["job7", "00", [["a"]], {"x": [1]}], "id": null, "method": "mining.notify"}""")]
    [InlineData("""{"params":["job7"],"method":"mining.notify"}""")]
    public void A_pool_notify_gives_its_job_id_as_raw_bytes_in_any_key_order(string text)
    {
        Assert.True(StratumMessageInspector.TryInspectPoolLine(Line(text), out var message, out var jobId));
        Assert.Equal(StratumMethod.Notify, message.Method);
        Assert.Equal("job7", Encoding.UTF8.GetString(jobId));
    }

    [Fact]
    public void A_pool_notify_split_across_segments_gives_the_same_job_id()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"id":null,"method":"mining.notify","params":["job-split","00"]}""");
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var line = StratumProxy.Tests.Protocol.StratumLineReaderTests.Segmented(bytes[..cut], bytes[cut..]);
            Assert.True(StratumMessageInspector.TryInspectPoolLine(line, out var message, out var jobId));
            Assert.Equal(StratumMethod.Notify, message.Method);
            Assert.Equal("job-split", Encoding.UTF8.GetString(jobId));
        }
    }

    [Fact]
    public void A_pool_job_id_with_escapes_or_as_a_number_is_left_to_the_full_read()
    {
        var escaped = Line("""{"id":null,"method":"mining.notify","params":["job\u0037",1]}""");
        Assert.True(StratumMessageInspector.TryInspectPoolLine(escaped, out _, out var raw));
        Assert.True(raw.IsEmpty);
        Assert.Equal("job7", StratumMessageInspector.ReadParamString(escaped, 0));

        Assert.True(StratumMessageInspector.TryInspectPoolLine(Line("""{"method":"mining.notify","params":[17]}"""), out _, out var number));
        Assert.True(number.IsEmpty);
    }

    [Fact]
    public void Pool_responses_and_other_requests_are_read_as_by_the_full_inspection()
    {
        Assert.True(StratumMessageInspector.TryInspectPoolLine(Line("""{"id":4,"result":null,"error":[23,"Low difficulty share",null]}"""), out var rejected, out _));
        Assert.True(rejected.IsResponse && rejected.HasError && rejected.HasId);
        Assert.Equal(23, rejected.ErrorCode);
        Assert.Equal(4, rejected.IdKey);

        Assert.True(StratumMessageInspector.TryInspectPoolLine(Line("""{"result":true,"id":"a","error":null}"""), out var accepted, out _));
        Assert.True(accepted.ResultIsTrue && !accepted.HasError);
        StratumMessageInspector.TryInspect(Line("""{"id":"a"}"""), out var sameId);
        Assert.Equal(sameId.IdKey, accepted.IdKey);

        Assert.True(StratumMessageInspector.TryInspectPoolLine(Line("""{"id":null,"method":"client.show_message","params":["hello"]}"""), out var other, out _));
        Assert.Equal(StratumMethod.Other, other.Method);
        Assert.True(StratumMessageInspector.TryInspectPoolLine(Line("""{"id":null,"method":"mining.set_difficulty","params":[8]}"""), out var difficulty, out _));
        Assert.Equal(StratumMethod.SetDifficulty, difficulty.Method);
        Assert.False(StratumMessageInspector.TryInspectPoolLine(Line("not json"), out _, out _));
    }

    [Fact]
    public void Parameters_of_interest_are_read_on_demand()
    {
        var authorize = Line("""{"id":2,"method":"mining.authorize","params":["bc1qabc.rig7","x"]}""");
        Assert.Equal("bc1qabc.rig7", StratumMessageInspector.ReadParamString(authorize, 0));
        Assert.Equal("bc1qabc.rig7", StratumMessageInspector.ReadParamString(authorize.FirstSpan, 0));
        var difficulty = Line("""{"id":null,"method":"mining.set_difficulty","params":[0.0001]}""");
        Assert.Equal(0.0001, StratumMessageInspector.ReadParamNumber(difficulty.FirstSpan, 0));
        var asString = Line("""{"id":3,"method":"mining.suggest_difficulty","params":["512"]}""");
        Assert.Equal(512, StratumMessageInspector.ReadParamNumber(asString.FirstSpan, 0));
        var subscribeResult = Line("""{"id":1,"result":[[["mining.set_difficulty","1"],["mining.notify","1"]],"08000002",4],"error":null}""");
        Assert.Equal("08000002", StratumMessageInspector.ReadResultString(subscribeResult.FirstSpan, 1));
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
