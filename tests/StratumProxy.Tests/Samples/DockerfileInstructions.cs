namespace StratumProxy.Tests.Samples;

/// <summary>One instruction of a Dockerfile, with the build stage it belongs to.</summary>
internal sealed record DockerfileInstruction(string Stage, string Keyword, string Arguments);

/// <summary>Reads a Dockerfile into instructions: comments dropped, backslash continuations joined.</summary>
internal static class DockerfileInstructions
{
    public static IReadOnlyList<DockerfileInstruction> Parse(string text)
    {
        var instructions = new List<DockerfileInstruction>();
        var stage = "";
        var pending = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (pending.Length == 0 && line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            var whole = (pending + line).Trim();
            pending = "";
            if (whole.Length == 0)
            {
                continue;
            }

            var space = whole.IndexOf(' ');
            var keyword = (space < 0 ? whole : whole[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : whole[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                stage = parts.Length >= 3 && parts[^2].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[^1] : parts[0];
            }

            instructions.Add(new DockerfileInstruction(stage, keyword, arguments));
        }

        return instructions;
    }

    /// <summary>The <c>KEY=VALUE</c> pairs of an <c>ENV</c> instruction (values may be double-quoted).</summary>
    public static IEnumerable<KeyValuePair<string, string>> EnvironmentOf(DockerfileInstruction instruction)
    {
        var text = instruction.Arguments;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var equals = text.IndexOf('=', i);
            if (equals < 0)
            {
                yield break;
            }

            var key = text[i..equals];
            i = equals + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var close = text.IndexOf('"', i + 1);
                value = text[(i + 1)..close];
                i = close + 1;
            }
            else
            {
                var end = i;
                while (end < text.Length && !char.IsWhiteSpace(text[end]))
                {
                    end++;
                }

                value = text[i..end];
                i = end;
            }

            yield return new(key, value);
        }
    }
}
