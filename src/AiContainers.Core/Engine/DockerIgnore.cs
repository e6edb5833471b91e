using System.Text;

namespace AiContainers.Core.Engine;

/// <summary>
/// An ordered list of path patterns in Docker's .dockerignore dialect, the one dialect AiContainers uses for
/// every file pattern (.dockerignore, AiAppInclude, AiAppExclude, AiModel Files and ExcludeFiles).
/// </summary>
/// <remarks>
/// The semantics are those of moby/patternmatcher (what <c>docker build</c> applies), written here from its
/// documented behaviour and test cases:
/// <list type="bullet">
/// <item>Lines starting with '#' are comments; surrounding whitespace is trimmed; each pattern is cleaned like a
/// path ('./', '//', '.', '..' and a trailing '/' resolved) and a leading '/' dropped, so "/bin/" means "bin".</item>
/// <item>'*' matches any run of characters but '/', '?' one character but '/', <c>[a-z]</c> and <c>[^a-z]</c> one
/// character in or not in the class ('^' negates; '!' is an ordinary member), '\' takes the next character literally.</item>
/// <item>'**' matches any number of folders, none included: <c>**/x</c>, <c>a/**/x</c>, <c>a/**</c>.</item>
/// <item>A pattern that matches a folder matches everything inside it.</item>
/// <item>A leading '!' makes an exception; patterns apply in order and the last one matching a path decides,
/// counting a match on any parent folder (so <c>!logs</c> brings back <c>logs/a.txt</c>).</item>
/// </list>
/// Two corners of the engine are deliberately not reproduced, because they follow from how it builds a regular
/// expression rather than from the dialect: '\' before a letter is that letter here (the engine reads <c>\d</c> as
/// a digit class), and '*' or '?' inside brackets are class members (the engine garbles the class).
/// </remarks>
public sealed class DockerIgnore
{
    private readonly List<PathPattern> _rules = new();

    public static readonly DockerIgnore Empty = new(Array.Empty<string>());

    /// <summary>Reads the lines as a .dockerignore file: comments and blank lines skipped, '!' exceptions.</summary>
    /// <exception cref="PathPatternException">A line is not a valid pattern (Docker refuses the same file).</exception>
    public DockerIgnore(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            // As the engine's reader does: a comment only when '#' is the very first character.
            if (raw.StartsWith('#')) continue;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            _rules.Add(PathPattern.Parse(line));
        }
    }

    /// <summary>The patterns, cleaned, in order.</summary>
    public IReadOnlyList<PathPattern> Patterns => _rules;

    /// <summary>True when a '!' rule exists, so an excluded directory may still hold included files.</summary>
    public bool HasExceptions => _rules.Any(r => r.IsException);

    public static DockerIgnore Load(string contextDirectory)
    {
        var path = Path.Combine(contextDirectory, ".dockerignore");
        return File.Exists(path) ? new DockerIgnore(File.ReadAllLines(path)) : Empty;
    }

    /// <summary>Why <paramref name="pattern"/> (one line, '!' allowed) is not a valid pattern, or null when it is.</summary>
    public static string? Validate(string pattern)
    {
        try { PathPattern.Parse(pattern.Trim()); return null; }
        catch (PathPatternException e) { return e.Reason; }
    }

    /// <summary>True when <paramref name="relativePath"/> (with '/' separators) stays out of the context.</summary>
    public bool IsExcluded(string relativePath) => Matches(relativePath);

    /// <summary>
    /// True when the last pattern matching <paramref name="relativePath"/> or one of its parent folders is not an
    /// exception. For an include list (AiAppInclude, AiModel Files) this is "selected".
    /// </summary>
    public bool Matches(string relativePath)
    {
        if (_rules.Count == 0) return false;
        var path = PathPattern.Clean(relativePath);
        // The engine never lets "." (the whole context) match.
        if (path == ".") return false;
        var parents = new List<string>();
        for (var slash = path.IndexOf('/', 1); slash > 0; slash = path.IndexOf('/', slash + 1)) parents.Add(path[..slash]);

        var matched = false;
        foreach (var rule in _rules)
        {
            // An exclusion cannot change an excluded path, an exception only an excluded one.
            if (rule.IsException != matched) continue;
            if (rule.MatchesPath(path) || parents.Any(rule.MatchesPath)) matched = !rule.IsException;
        }
        return matched;
    }
}

/// <summary>A pattern that is not valid in the .dockerignore dialect; <see cref="Reason"/> says why.</summary>
public sealed class PathPatternException(string pattern, string reason)
    : FormatException($"'{pattern}' is not a valid path pattern: {reason}.")
{
    public string Pattern { get; } = pattern;
    public string Reason { get; } = reason;
}

/// <summary>One cleaned .dockerignore pattern, compiled to tokens matched over Unicode code points.</summary>
public sealed class PathPattern
{
    private enum Kind { Literal, AnyChar, AnyRun, AnyFolders, AnyTail, Class }

    private readonly record struct Token(Kind Kind, int CodePoint = 0, CharacterClass? Class = null);

    private sealed record CharacterClass(bool Negated, IReadOnlyList<(int Low, int High)> Ranges)
    {
        public bool Contains(int c) => Ranges.Any(r => r.Low <= c && c <= r.High) != Negated;
    }

    /// <summary>
    /// How the engine decides a match, kept because a few patterns depend on it: a pattern starting with
    /// '**' and otherwise literal matches by suffix (<c>**file</c> matches "myfile"), one ending in '**' and
    /// otherwise literal by prefix.
    /// </summary>
    private enum Mode { Exact, Prefix, Suffix, Tokens }

    private readonly Token[] _tokens;
    private readonly Mode _mode;

    private PathPattern(string text, bool isException, Token[] tokens, Mode mode)
    {
        Text = text;
        IsException = isException;
        _tokens = tokens;
        _mode = mode;
    }

    /// <summary>The cleaned pattern, without its '!'.</summary>
    public string Text { get; }

    /// <summary>A '!' pattern: it brings back what earlier patterns matched.</summary>
    public bool IsException { get; }

    public override string ToString() => IsException ? "!" + Text : Text;

    /// <summary>Parses one trimmed, non-comment line.</summary>
    /// <exception cref="PathPatternException">The pattern is malformed.</exception>
    public static PathPattern Parse(string line)
    {
        var text = line;
        var exception = text.StartsWith('!');
        if (exception) text = text[1..].Trim();
        if (text.Length == 0)
            throw new PathPatternException(line, exception ? "'!' needs a pattern after it" : "it is empty");
        text = Clean(text);
        if (text.Length > 1 && text[0] == '/') text = text[1..];
        var (tokens, mode) = Compile(line, text);
        return new PathPattern(text, exception, tokens, mode);
    }

    /// <summary>
    /// Lexical path cleaning as Go's path.Clean does it: repeated '/' collapse, '.' segments go, '..' removes the
    /// segment before it, a trailing '/' goes; an empty result is ".".
    /// </summary>
    public static string Clean(string path)
    {
        var rooted = path.StartsWith('/');
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add(part);
                continue;
            }
            parts.Add(part);
        }
        var joined = string.Join('/', parts);
        if (rooted) return "/" + joined;
        return joined.Length == 0 ? "." : joined;
    }

    /// <summary>True when this pattern matches <paramref name="path"/> itself (a cleaned, '/'-separated path); parents are the caller's.</summary>
    public bool MatchesPath(string path) => _mode switch
    {
        Mode.Exact => path == Text,
        Mode.Prefix => path.StartsWith(Text[..^2], StringComparison.Ordinal),
        Mode.Suffix => path.EndsWith(Text[2..], StringComparison.Ordinal)
                       || (Text.Length > 2 && Text[2] == '/' && path == Text[3..]),
        _ => MatchTokens(CodePoints(path)),
    };

    private static (Token[] Tokens, Mode Mode) Compile(string original, string text)
    {
        var chars = CodePoints(text);
        var tokens = new List<Token>();
        var mode = Mode.Exact;
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            var first = tokens.Count == 0;
            switch (c)
            {
                case '*' when i + 1 < chars.Length && chars[i + 1] == '*':
                    i++;
                    // "**/" is "**": the slash is part of the folder run.
                    if (i + 1 < chars.Length && chars[i + 1] == '/') i++;
                    if (i + 1 == chars.Length)
                    {
                        tokens.Add(new Token(Kind.AnyTail));
                        mode = mode == Mode.Exact ? Mode.Prefix : Mode.Tokens;
                    }
                    else
                    {
                        tokens.Add(new Token(Kind.AnyFolders));
                        mode = Mode.Tokens;
                    }
                    if (first) mode = Mode.Suffix;
                    break;
                case '*':
                    tokens.Add(new Token(Kind.AnyRun));
                    mode = Mode.Tokens;
                    break;
                case '?':
                    tokens.Add(new Token(Kind.AnyChar));
                    mode = Mode.Tokens;
                    break;
                case '\\':
                    if (i + 1 == chars.Length) throw new PathPatternException(original, "it ends in '\\', which escapes nothing (write '\\\\' for a backslash)");
                    tokens.Add(new Token(Kind.Literal, chars[++i]));
                    mode = Mode.Tokens;
                    break;
                case '[':
                    tokens.Add(new Token(Kind.Class, Class: ParseClass(original, chars, ref i)));
                    mode = Mode.Tokens;
                    break;
                case ']':
                    // A literal, but the engine stops treating the pattern as plain text here; so do we.
                    tokens.Add(new Token(Kind.Literal, c));
                    mode = Mode.Tokens;
                    break;
                default:
                    tokens.Add(new Token(Kind.Literal, c));
                    break;
            }
        }
        return (tokens.ToArray(), mode);
    }

    /// <summary>Reads <c>[^a-z\]x]</c> starting at the '[' at <paramref name="i"/>; leaves <paramref name="i"/> on the ']'.</summary>
    private static CharacterClass ParseClass(string original, int[] chars, ref int i)
    {
        i++;
        var negated = i < chars.Length && chars[i] == '^';
        if (negated) i++;
        var ranges = new List<(int, int)>();
        while (true)
        {
            if (i < chars.Length && chars[i] == ']' && ranges.Count > 0) return new CharacterClass(negated, ranges);
            var low = ClassMember(original, chars, ref i);
            var high = low;
            if (chars[i] == '-')
            {
                i++;
                high = ClassMember(original, chars, ref i);
                if (high < low) throw new PathPatternException(original, $"the range {char.ConvertFromUtf32(low)}-{char.ConvertFromUtf32(high)} in '[...]' runs backwards");
            }
            ranges.Add((low, high));
        }
    }

    /// <summary>One class member, '\'-escaped or not; a bare '-' or ']' in its place, or the end of the pattern, is an error.</summary>
    private static int ClassMember(string original, int[] chars, ref int i)
    {
        if (i >= chars.Length) throw new PathPatternException(original, "a '[' is never closed with ']' (write '\\[' for a literal bracket)");
        if (chars[i] is '-' or ']') throw new PathPatternException(original, $"'{(char)chars[i]}' stands where a character of '[...]' belongs (escape it as '\\{(char)chars[i]}')");
        if (chars[i] == '\\') i++;
        if (i >= chars.Length) throw new PathPatternException(original, "a '[' is never closed with ']' (write '\\[' for a literal bracket)");
        var member = chars[i++];
        if (i >= chars.Length) throw new PathPatternException(original, "a '[' is never closed with ']' (write '\\[' for a literal bracket)");
        return member;
    }

    /// <summary>Backtracking over the tokens with a table of (token, position) pairs already known to fail, so it stays polynomial.</summary>
    private bool MatchTokens(int[] path)
    {
        var failed = new HashSet<(int, int)>();
        return Match(0, 0);

        bool Match(int t, int p)
        {
            if (t == _tokens.Length) return p == path.Length;
            if (failed.Contains((t, p))) return false;
            var token = _tokens[t];
            var ok = token.Kind switch
            {
                Kind.Literal => p < path.Length && path[p] == token.CodePoint && Match(t + 1, p + 1),
                Kind.AnyChar => p < path.Length && path[p] != '/' && Match(t + 1, p + 1),
                Kind.Class => p < path.Length && token.Class!.Contains(path[p]) && Match(t + 1, p + 1),
                Kind.AnyRun => AnyRun(t, p),
                Kind.AnyFolders => AnyFolders(t, p),
                // The engine's '.*': anything up to the end but a line break.
                _ => Array.IndexOf(path, (int)'\n', p) < 0 && Match(t + 1, path.Length),
            };
            if (!ok) failed.Add((t, p));
            return ok;
        }

        // '*': shortest first, never past a '/'.
        bool AnyRun(int t, int p)
        {
            for (var q = p; ; q++)
            {
                if (Match(t + 1, q)) return true;
                if (q == path.Length || path[q] == '/') return false;
            }
        }

        // '**/': nothing, or any run of characters (no line break) that ends with '/'.
        bool AnyFolders(int t, int p)
        {
            if (Match(t + 1, p)) return true;
            for (var q = p; q < path.Length && path[q] != '\n'; q++)
                if (path[q] == '/' && Match(t + 1, q + 1)) return true;
            return false;
        }
    }

    private static int[] CodePoints(string s)
    {
        var result = new List<int>(s.Length);
        foreach (var rune in s.EnumerateRunes()) result.Add(rune.Value);
        return result.ToArray();
    }
}
