using System.Text;

namespace AiContainers.Core.Spec;

/// <summary>Splits a command line the way a POSIX shell does for words and quotes (no expansion), for exec form.</summary>
public static class CommandLine
{
    /// <summary>Returns the words, or null when a quote is left open.</summary>
    public static IReadOnlyList<string>? TrySplit(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                if (c == quote) { quote = '\0'; continue; }
                if (c == '\\' && quote == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\') { current.Append(text[++i]); continue; }
                current.Append(c);
                continue;
            }
            if (c is '"' or '\'') { quote = c; inWord = true; continue; }
            if (c == '\\' && i + 1 < text.Length) { current.Append(text[++i]); inWord = true; continue; }
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            current.Append(c);
            inWord = true;
        }
        if (quote != '\0') return null;
        if (inWord) words.Add(current.ToString());
        return words;
    }
}
