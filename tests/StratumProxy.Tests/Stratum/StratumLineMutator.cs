using System.Text;

namespace StratumProxy.Tests.Stratum;

/// <summary>
/// Seeded random lines for differential tests of the line inspection: real Stratum lines, lines built at random from
/// the members and values the inspection cares about (nesting around the depth limit included), and byte-level
/// mutations of both (flips, inserted tokens, deletions, truncation, duplicated slices, invalid UTF-8, control bytes).
/// </summary>
internal static class StratumLineMutator
{
    /// <summary>Lines as miners and pools send them, plus a few with escapes, odd ids and both error shapes.</summary>
    public static readonly string[] RealLines =
    [
        """{"id":1,"method":"mining.subscribe","params":["cgminer/4.10.0"]}""",
        """{"id": 1, "method": "mining.subscribe", "params": ["bmminer/2.0.0", "01000000"]}""",
        """{"id":2,"method":"mining.authorize","params":["bc1qabc.rig7","x"]}""",
        """{"id":1,"method":"mining.configure","params":[["version-rolling"],{"version-rolling.mask":"1fffe000","version-rolling.min-bit-count":2}]}""",
        """{"id":4,"method":"mining.submit","params":["bc1qbenchworkeraddress0000000000000000.rig01","6a3f1c0b","00000000a1b2c3d4","65f1c2a0","9f3c2b1a"]}""",
        """{"id":4,"method":"mining.submit","params":["w","6a3f1c0b","00000000a1b2c3d4","65f1c2a0","9f3c2b1a","00200000"]}""",
        """{"params":["w","j","00000001","5f5e1000","deadbeef"],"id":4,"method":"mining.submit"}""",
        """{"id":3,"method":"mining.extranonce.subscribe","params":[]}""",
        """{"id":5,"method":"mining.suggest_difficulty","params":[512]}""",
        """{"id":"a1","method":"mining.suggest_difficulty","params":["0.0001"]}""",
        """{"id":9,"method":"client.get_version","params":[]}""",
        """{"id":1,"result":[[["mining.set_difficulty","1"],["mining.notify","1"]],"08000002",4],"error":null}""",
        """{"id":2,"result":true,"error":null}""",
        """{"id":4,"result":false,"error":[23,"Low difficulty share",null]}""",
        """{"id":4,"result":null,"error":[21,"Job not found",null]}""",
        """{"id":"a","result":false,"error":{"code":21,"message":"stale"}}""",
        """{"id":1,"result":{"version-rolling":true,"version-rolling.mask":"1fffe000"},"error":null}""",
        """{"id":null,"method":"mining.set_difficulty","params":[8192]}""",
        """{"id":null,"method":"mining.set_difficulty","params":[0.0001]}""",
        """{"id":null,"method":"mining.set_extranonce","params":["08000002",4]}""",
        """{"id":null,"method":"mining.set_version_mask","params":["1fffe000"]}""",
        """{"id":null,"method":"client.reconnect","params":["pool.example",3333,0]}""",
        """{"id":null,"method":"mining.notify","params":["1a2b3c","4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000","01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008","072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000",["a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90","0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"],"20000000","1d00ffff","504e86ed",true]}""",
        """{"params": ["job7", "00", [["a"]], {"x": [1]}], "id": null, "method": "mining.notify"}""",
        """{"id":null,"method":"client.show_message","params":["hello \u00e9 \ud83d\ude00 \"quoted\" \\ \/ \b\f\n\r\t"]}""",
        """{"id":1,"method":"client.show_message","params":["grüße 😀 ☃"]}""",
        """{"id":-7,"result":true,"error":null}""",
        """{"id":1.5e3,"result":true}""",
        """{"id":-0.25E-2,"result":false}""",
        """{"id":12345678901234567890,"result":true}""",
        """{"id":-9223372036854775808,"result":true}""",
        """{"id":"\u0034","method":"mining.submit","params":[]}""",
        """{"id":4,"method":"mining.submi\u0074","params":[]}""",
        """{"\u0069d":4,"method":"mining.notify"}""",
        """{"id":4,"error":[-1,"x"],"result":null}""",
        """{"id":4,"error":[1e2,"x"]}""",
        """{"id":4,"error":{"message":"x","code":-32601}}""",
        """{"id":4,"error":"text"}""",
        """{"id":4,"error":5}""",
        """{"id":4,"error":[[1],2]}""",
        """{"id":true,"result":[],"error":[]}""",
        """{"id":{"a":[1]},"result":{},"error":{}}""",
        """ {"id":4,"result":true}  """,
    ];

    private static readonly string[] Names =
    [
        "id", "method", "result", "error", "params", "code", "message", "jsonrpc",
        @"\u0069d", @"i\u0064", @"\u006dethod", @"resul\u0074", @"\u0065rror", @"co\u0064e", @"\ud800", @"id\ud800",
        @"\udc00\ud800", @"\udc00\udc00", @"method\ud83d\ude00", @"\ud83d\ude00", @"\u0000", "", "ids", "erro", @"\\", @"\""",
    ];

    private static readonly string[] Methods =
    [
        "mining.submit", "mining.notify", "mining.set_difficulty", "mining.subscribe", "mining.authorize", "mining.configure",
        "mining.extranonce.subscribe", "mining.suggest_difficulty", "mining.set_extranonce", "client.reconnect",
        "mining.set_version_mask", "client.get_version", "", @"mining.submi\u0074", @"\u006dining.notify", @"mining.\ud800", @"mining.\udc00\udc00",
        @"mining.submit\udc00", @"x\ud800", @"mining.notify\ud83d\ude00", @"client.reconnect\n", @"\/",
    ];

    private static readonly string[] Scalars =
    [
        "0", "-0", "1", "-1", "4", "23", "1.5", "-0.0", "1e2", "1E+2", "1e-2", "2147483647", "2147483648", "-2147483648",
        "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "1e400", "123456789012345678901234567890", "true", "false", "null", "\"\"", "\"4\"", "\"w.rig\"", @"""\u0034""",
        @"""\ud800""", @"""\udc00""", @"""\ud83d\ude00""", @"""\t\n\\\/\b\f\r\""""", "\"é😀\"",
    ];

    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "{", "}", "[", "]", ":", ",", "\"", "\\", " ", "\t", "\r", "\n", "0", "1", "9", "-", "+", ".", "e", "E",
            "t", "f", "n", "u", "true", "false", "null", "tru", "nul", "fals", @"\u", @"\ud800", @"\udc00", @"\udc00\udc00",
            @"\ud83d\ude00", @"\u0069", @"\u12", @"\x", @"\/", @"\'", "\"id\":", "\"method\":", "\"result\":", "\"error\":",
            "\"code\":", "\"mining.submit\"", "\"mining.notify\"", "[21,\"x\",null]", "{\"code\":22}", "01", "-0", "1.",
            "1e", ".5", "9223372036854775808", "2147483648", "/*", "//", "NaN", "Infinity",
        }.Select(Encoding.UTF8.GetBytes),
        [0xEF, 0xBB, 0xBF], [0x00], [0x01], [0x1F], [0x7F], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF],
        [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x0B], [0x0C], [0xC2, 0xA0],
    ];

    /// <summary>One line for <paramref name="random"/>: real or built, then mutated zero or more times.</summary>
    public static byte[] Next(Random random)
    {
        var line = random.Next(10) switch
        {
            < 4 => Encoding.UTF8.GetBytes(RealLines[random.Next(RealLines.Length)]),
            < 9 => Encoding.UTF8.GetBytes(BuildObject(random)),
            _ => Encoding.UTF8.GetBytes(BuildDeep(random)),
        };

        var mutations = random.Next(4) switch
        {
            0 => 0,
            1 => 1,
            2 => random.Next(1, 3),
            _ => random.Next(1, 6),
        };
        for (var i = 0; i < mutations; i++)
        {
            line = Mutate(random, line);
        }

        return line;
    }

    private static string BuildObject(Random random)
    {
        var builder = new StringBuilder();
        builder.Append(Space(random)).Append('{');
        var members = random.Next(6);
        for (var i = 0; i < members; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            var name = Names[random.Next(Names.Length)];
            builder.Append(Space(random)).Append('"').Append(name).Append('"').Append(Space(random)).Append(':').Append(Space(random));
            builder.Append(name switch
            {
                "method" when random.Next(4) > 0 => $"\"{Methods[random.Next(Methods.Length)]}\"",
                "error" when random.Next(3) > 0 => BuildError(random),
                _ => BuildValue(random, random.Next(4)),
            });
            builder.Append(Space(random));
        }

        return builder.Append('}').Append(Space(random)).ToString();
    }

    private static string BuildError(Random random) => random.Next(3) switch
    {
        0 => $"[{Scalars[random.Next(Scalars.Length)]},\"message\",{BuildValue(random, 2)}]",
        1 => $"{{\"{Names[random.Next(Names.Length)]}\":{Scalars[random.Next(Scalars.Length)]},\"code\":{Scalars[random.Next(Scalars.Length)]}}}",
        _ => $"[{BuildValue(random, 2)}]",
    };

    private static string BuildValue(Random random, int depth)
    {
        if (depth <= 0 || random.Next(3) == 0)
        {
            return Scalars[random.Next(Scalars.Length)];
        }

        var count = random.Next(4);
        var isObject = random.Next(2) == 0;
        var builder = new StringBuilder(isObject ? "{" : "[");
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                builder.Append(',').Append(Space(random));
            }

            if (isObject)
            {
                builder.Append('"').Append(Names[random.Next(Names.Length)]).Append("\":");
            }

            builder.Append(BuildValue(random, depth - 1));
        }

        return builder.Append(isObject ? '}' : ']').ToString();
    }

    /// <summary>An object whose deepest value sits 14 to 18 containers down, the limit being 16 with the line's own.</summary>
    private static string BuildDeep(Random random)
    {
        var nested = random.Next(13, 18);
        var opening = new StringBuilder();
        var closing = new StringBuilder();
        for (var i = 0; i < nested; i++)
        {
            var isObject = random.Next(3) == 0;
            opening.Append(isObject ? "{\"k\":" : "[");
            closing.Insert(0, isObject ? '}' : ']');
        }

        var name = random.Next(2) == 0 ? "error" : Names[random.Next(Names.Length)];
        var inner = random.Next(3) == 0 ? string.Empty : Scalars[random.Next(Scalars.Length)];
        if (inner.Length == 0 && opening[^1] == ':')
        {
            inner = "1";
        }

        return $"{{\"id\":1,\"{name}\":{opening}{inner}{closing}}}";
    }

    private static string Space(Random random) => random.Next(8) switch
    {
        0 => " ",
        1 => "\t \r\n",
        _ => string.Empty,
    };

    private static byte[] Mutate(Random random, byte[] line)
    {
        var at = random.Next(line.Length + 1);
        switch (random.Next(9))
        {
            case 0 when line.Length > 0:
                var flipped = (byte[])line.Clone();
                flipped[random.Next(line.Length)] ^= (byte)(1 << random.Next(8));
                return flipped;
            case 1 when line.Length > 0:
                var replaced = (byte[])line.Clone();
                replaced[random.Next(line.Length)] = (byte)random.Next(256);
                return replaced;
            case 2:
            case 3:
                return [.. line[..at], .. Tokens[random.Next(Tokens.Length)], .. line[at..]];
            case 4:
                var deleted = Math.Min(random.Next(1, 5), line.Length - at);
                return [.. line[..at], .. line[(at + deleted)..]];
            case 5:
                return line[..at];
            case 6:
                var from = random.Next(line.Length + 1);
                var slice = line[from..Math.Min(line.Length, from + random.Next(1, 40))];
                return [.. line[..at], .. slice, .. line[at..]];
            case 7:
                // Deep nesting at an element: valid when it lands right after '[' or ',' inside an array.
                var depth = random.Next(10, 18);
                var nest = Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth) + (random.Next(2) == 0 ? "," : string.Empty));
                return [.. line[..at], .. nest, .. line[at..]];
            default:
                var spaces = Encoding.ASCII.GetBytes(Space(random) + Space(random));
                return [.. line[..at], .. spaces, .. line[at..]];
        }
    }
}
