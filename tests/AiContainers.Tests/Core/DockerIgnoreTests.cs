using AiContainers.Core.Engine;

namespace AiContainers.Tests.Core;

/// <summary>
/// The .dockerignore dialect against the engine's own expectations. The tables are ported from
/// moby/patternmatcher's patternmatcher_test.go (TestMatches, its multi-pattern cases, TestMatch with the
/// cases that file takes from Go's filepath.Match tests, and the Matches* single tests), checked through
/// the same entry point the engine uses for a context (a pattern list matched against a path and its parents).
/// </summary>
[TestClass]
public sealed class DockerIgnoreTests
{
    /// <summary>patternmatcher_test.go TestMatches: one pattern, one path, expected verdict.</summary>
    public static IEnumerable<object[]> SinglePatternCases => new (string Pattern, string Path, bool Match)[]
    {
        ("**", "file", true),
        ("**", "file/", true),
        ("**/", "file", true),
        ("**/", "file/", true),
        ("**", "/", true),
        ("**/", "/", true),
        ("**", "dir/file", true),
        ("**/", "dir/file", true),
        ("**", "dir/file/", true),
        ("**/", "dir/file/", true),
        ("**/**", "dir/file", true),
        ("**/**", "dir/file/", true),
        ("dir/**", "dir/file", true),
        ("dir/**", "dir/file/", true),
        ("dir/**", "dir/dir2/file", true),
        ("dir/**", "dir/dir2/file/", true),
        ("**/dir", "dir", true),
        ("**/dir", "dir/file", true),
        ("**/dir2/*", "dir/dir2/file", true),
        ("**/dir2/*", "dir/dir2/file/", true),
        ("**/dir2/**", "dir/dir2/dir3/file", true),
        ("**/dir2/**", "dir/dir2/dir3/file/", true),
        ("**file", "file", true),
        ("**file", "dir/file", true),
        ("**/file", "dir/file", true),
        ("**file", "dir/dir/file", true),
        ("**/file", "dir/dir/file", true),
        ("**/file*", "dir/dir/file", true),
        ("**/file*", "dir/dir/file.txt", true),
        ("**/file*txt", "dir/dir/file.txt", true),
        ("**/file*.txt", "dir/dir/file.txt", true),
        ("**/file*.txt*", "dir/dir/file.txt", true),
        ("**/**/*.txt", "dir/dir/file.txt", true),
        ("**/**/*.txt2", "dir/dir/file.txt", false),
        ("**/*.txt", "file.txt", true),
        ("**/**/*.txt", "file.txt", true),
        ("a**/*.txt", "a/file.txt", true),
        ("a**/*.txt", "a/dir/file.txt", true),
        ("a**/*.txt", "a/dir/dir/file.txt", true),
        ("a/*.txt", "a/dir/file.txt", false),
        ("a/*.txt", "a/file.txt", true),
        ("a/*.txt**", "a/file.txt", true),
        ("a[b-d]e", "ae", false),
        ("a[b-d]e", "ace", true),
        ("a[b-d]e", "aae", false),
        ("a[^b-d]e", "aze", true),
        (".*", ".foo", true),
        (".*", "foo", false),
        ("abc.def", "abcdef", false),
        ("abc.def", "abc.def", true),
        ("abc.def", "abcZdef", false),
        ("abc?def", "abcZdef", true),
        ("abc?def", "abcdef", false),
        ("a\\\\", "a\\", true),
        ("**/foo/bar", "foo/bar", true),
        ("**/foo/bar", "dir/foo/bar", true),
        ("**/foo/bar", "dir/dir2/foo/bar", true),
        ("abc/**", "abc", false),
        ("abc/**", "abc/def", true),
        ("abc/**", "abc/def/ghi", true),
        ("**/.foo", ".foo", true),
        ("**/.foo", "bar.foo", false),
        ("a(b)c/def", "a(b)c/def", true),
        ("a(b)c/def", "a(b)c/xyz", false),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
        ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true),
        ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true),
        ("a\\*b", "a*b", true),
    }.Select(c => new object[] { c.Pattern, c.Path, c.Match });

    /// <summary>
    /// patternmatcher_test.go matchTests (Go's filepath.Match table as that file adapts it): valid patterns only;
    /// the malformed ones are in <see cref="MalformedPatterns"/>.
    /// </summary>
    public static IEnumerable<object[]> FilepathMatchCases => new (string Pattern, string Path, bool Match)[]
    {
        ("abc", "abc", true),
        ("*", "abc", true),
        ("*c", "abc", true),
        ("a*", "a", true),
        ("a*", "abc", true),
        // A match on the parent folder "ab" counts: the pattern excludes the folder and so its contents.
        ("a*", "ab/c", true),
        ("a*/b", "abc/b", true),
        ("a*/b", "a/c/b", false),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
        ("a*b?c*x", "abxbbxdbxebxczzx", true),
        ("a*b?c*x", "abxbbxdbxebxczzy", false),
        ("ab[c]", "abc", true),
        ("ab[b-d]", "abc", true),
        ("ab[e-g]", "abc", false),
        ("ab[^c]", "abc", false),
        ("ab[^b-d]", "abc", false),
        ("ab[^e-g]", "abc", true),
        ("a\\*b", "a*b", true),
        ("a\\*b", "ab", false),
        ("a?b", "a☺b", true),
        ("a[^a]b", "a☺b", true),
        ("a???b", "a☺b", false),
        ("a[^a][^a][^a]b", "a☺b", false),
        ("[a-ζ]*", "α", true),
        ("*[a-ζ]", "A", false),
        ("a?b", "a/b", false),
        ("a*b", "a/b", false),
        ("[\\]a]", "]", true),
        ("[\\-]", "-", true),
        ("[x\\-]", "x", true),
        ("[x\\-]", "-", true),
        ("[x\\-]", "z", false),
        ("[\\-x]", "x", true),
        ("[\\-x]", "-", true),
        ("[\\-x]", "a", false),
        ("*x", "xxx", true),
    }.Select(c => new object[] { c.Pattern, c.Path, c.Match });

    /// <summary>patternmatcher_test.go: the matchTests entries that expect filepath.ErrBadPattern, TestMatchesWithMalformedPatterns, and the "[Local-Only]/" regression.</summary>
    public static IEnumerable<object[]> MalformedPatterns => new[]
    {
        "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "!", "[Local-Only]/",
    }.Select(p => new object[] { p });

    [TestMethod]
    [DynamicData(nameof(SinglePatternCases))]
    public void One_pattern_matches_like_the_engine(string pattern, string path, bool expected)
        => Assert.AreEqual(expected, new DockerIgnore(new[] { pattern }).Matches(path), $"pattern {pattern} on {path}");

    [TestMethod]
    [DynamicData(nameof(FilepathMatchCases))]
    public void Filepath_match_table_matches_like_the_engine(string pattern, string path, bool expected)
        => Assert.AreEqual(expected, new DockerIgnore(new[] { pattern }).Matches(path), $"pattern {pattern} on {path}");

    [TestMethod]
    [DynamicData(nameof(MalformedPatterns))]
    public void Malformed_patterns_are_refused_with_a_reason(string pattern)
    {
        var error = Assert.ThrowsExactly<PathPatternException>(() => new DockerIgnore(new[] { pattern }));
        Assert.AreEqual(pattern, error.Pattern);
        Assert.IsNotNull(DockerIgnore.Validate(pattern));
        StringAssert.Contains(error.Message, error.Reason);
    }

    /// <summary>patternmatcher_test.go: the multiPatternTests and the Test*Exclusion*/Test*Folder* single tests.</summary>
    [TestMethod]
    [DataRow(new[] { "**", "!util/docker/web" }, "util/docker/web/foo", false, DisplayName = "an exception on a parent folder brings back its files")]
    [DataRow(new[] { "**", "!util/docker/web", "util/docker/web/foo" }, "util/docker/web/foo", true, DisplayName = "a later pattern excludes again")]
    [DataRow(new[] { "**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl" }, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false, DisplayName = "literal exception")]
    [DataRow(new[] { "**", "!dist/*.whl" }, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false, DisplayName = "wildcard exception")]
    [DataRow(new[] { "!fileutils.go", "*.go" }, "fileutils.go", true, DisplayName = "an exception before the pattern does nothing")]
    [DataRow(new[] { "*.go", "!fileutils.go" }, "fileutils.go", false, DisplayName = "an exception after the pattern wins")]
    [DataRow(new[] { "docs", "!docs/README.md" }, "docs/README.md", false, DisplayName = "folder then exception")]
    [DataRow(new[] { "docs/", "!docs/README.md" }, "docs/README.md", false, DisplayName = "folder with slash then exception")]
    [DataRow(new[] { "docs/*", "!docs/README.md" }, "docs/README.md", false, DisplayName = "folder wildcard then exception")]
    [DataRow(new[] { "docs", "!docs/README.md" }, "docs/other.md", true, DisplayName = "folder exception keeps the rest excluded")]
    [DataRow(new[] { "*" }, "fileutils.go", true, DisplayName = "wildcard")]
    [DataRow(new[] { "*.go" }, "fileutils.go", true, DisplayName = "extension")]
    [DataRow(new[] { "*.go" }, ".", false, DisplayName = "the context itself never matches")]
    [DataRow(new[] { "docs", "  !docs/README.md  " }, "docs/README.md", false, DisplayName = "whitespace around an exception is trimmed")]
    public void Pattern_lists_apply_in_order_with_exceptions(string[] patterns, string path, bool expected)
        => Assert.AreEqual(expected, new DockerIgnore(patterns).Matches(path));

    [TestMethod]
    public void No_patterns_match_nothing()
    {
        Assert.IsFalse(new DockerIgnore(Array.Empty<string>()).Matches("/any/path/there"));
        Assert.IsFalse(DockerIgnore.Empty.IsExcluded("a"));
    }

    /// <summary>ignorefile.go ReadAll: '#' only at the very start makes a comment; patterns are cleaned and lose a leading '/'.</summary>
    [TestMethod]
    public void File_lines_are_read_as_the_engine_reads_them()
    {
        var ignore = new DockerIgnore(new[] { "# notes/", " # hash", "/bin/", "./obj//", "src/../tmp", "", "   ", "!" + "  keep" });
        CollectionAssert.AreEqual(new[] { "# hash", "bin", "obj", "tmp", "!keep" }, ignore.Patterns.Select(p => p.ToString()).ToList());
        Assert.IsFalse(ignore.Matches("notes/a.txt"), "a line starting with '#' is a comment");
        Assert.IsTrue(ignore.Matches("# hash"), "'#' after leading space is a pattern, as in the engine");
        Assert.IsTrue(ignore.Matches("bin/Release/app.dll"));
        Assert.IsTrue(ignore.Matches("obj/x"));
        Assert.IsTrue(ignore.Matches("tmp"));
        Assert.IsTrue(ignore.HasExceptions);
    }

    [TestMethod]
    public void Backslash_escapes_instead_of_separating_folders()
    {
        // The previous matcher turned '\' into '/' and read '[' literally; the engine does neither.
        var ignore = new DockerIgnore(new[] { "data\\[1\\].csv", "logs[0-9]" });
        Assert.IsTrue(ignore.Matches("data[1].csv"));
        Assert.IsFalse(ignore.Matches("data/[1].csv"));
        Assert.IsTrue(ignore.Matches("logs7/today.txt"));
        Assert.IsFalse(ignore.Matches("logs[0-9]"));
    }

    [TestMethod]
    public void Question_mark_and_classes_take_one_code_point_outside_the_basic_plane()
    {
        Assert.IsTrue(new DockerIgnore(new[] { "a?b" }).Matches("a😀b"), "one '?' is one character even as a UTF-16 pair");
        Assert.IsTrue(new DockerIgnore(new[] { "a[^x]b" }).Matches("a😀b"));
        Assert.IsTrue(new DockerIgnore(new[] { "a[😀-😂]b" }).Matches("a😁b"));
        Assert.IsFalse(new DockerIgnore(new[] { "a??b" }).Matches("a😀b"));
    }

    [TestMethod]
    public void Many_stars_stay_fast()
    {
        // Backtracking without a memo would take exponential time on this.
        var pattern = string.Concat(Enumerable.Repeat("a*", 30)) + "b";
        var path = new string('a', 200);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.IsFalse(new DockerIgnore(new[] { pattern }).Matches(path));
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(2), watch.Elapsed.ToString());
    }
}
