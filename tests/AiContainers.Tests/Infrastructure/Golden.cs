namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// Golden files under tests/AiContainers.Tests/Golden/&lt;case&gt;/. A mismatch (or a missing golden file)
/// writes what was generated to &lt;file&gt;.received beside the golden file and fails; compare the two and
/// accept with AIC_UPDATE_GOLDEN=1, which copies the received text over the golden file and still fails
/// that test, so a run that changed a golden file is never a green run. Under CI (CI set) nothing is
/// written and AIC_UPDATE_GOLDEN=1 is refused: golden files are accepted on a developer's machine, where
/// the diff is reviewed before it is committed.
/// </summary>
internal static class Golden
{
    public const string UpdateVariable = "AIC_UPDATE_GOLDEN";
    public const string ReceivedSuffix = ".received";

    /// <summary>How a check may touch the tree, from the environment of this test run.</summary>
    public static GoldenMode CurrentMode => GoldenMode.FromEnvironment(
        Environment.GetEnvironmentVariable(UpdateVariable), Environment.GetEnvironmentVariable("CI"));

    public static void Assert(string caseName, string fileName, string actual)
        => Check(TestPaths.GoldenDirectory, caseName, fileName, actual, CurrentMode);

    /// <summary>
    /// Several files of one case: every file is checked (each mismatch writes its .received file) before
    /// one failure lists them all, and the folder must hold exactly these files.
    /// </summary>
    public static void AssertFiles(string caseName, IEnumerable<(string RelativePath, string Content)> files)
    {
        var list = files.ToList();
        var failures = new List<string>();
        foreach (var (path, content) in list)
        {
            try { Assert(caseName, path, content); }
            catch (AssertFailedException e) { failures.Add(Unprefixed(e.Message)); }
        }
        try { AssertFolderHoldsExactly(caseName, list.Select(f => f.RelativePath)); }
        catch (AssertFailedException e) { failures.Add(Unprefixed(e.Message)); }
        if (failures.Count > 0) Fail(string.Join("\n", failures));
    }

    /// <summary>
    /// The golden folder of a case holds exactly <paramref name="expectedFiles"/> (relative, '/'-separated):
    /// a file the generator stopped writing must not linger as a golden file that nothing checks.
    /// Accepting deletes such files (and still fails).
    /// </summary>
    public static void AssertFolderHoldsExactly(string caseName, IEnumerable<string> expectedFiles)
        => CheckFolder(TestPaths.GoldenDirectory, caseName, expectedFiles, CurrentMode);

    internal static void Check(string goldenRoot, string caseName, string fileName, string actual, GoldenMode mode)
    {
        RefuseUpdateUnderCi(mode);
        var path = Path.Combine(goldenRoot, caseName, fileName);
        var received = path + ReceivedSuffix;
        // Golden files are LF (.gitattributes); a checkout that converted them must not fail for it.
        var expected = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            // A leftover from an earlier mismatch would mislead the next reader.
            if (!mode.InCi && File.Exists(received)) File.Delete(received);
            return;
        }

        var what = expected is null ? $"Golden file {path} is missing" : $"Generated {fileName} differs from {path} ({FirstDifference(expected, actual)})";
        if (mode.InCi)
            Fail($"{what}. Under CI nothing is written: run the tests locally, review {fileName}{ReceivedSuffix} and accept it with {UpdateVariable}=1.\n--- generated ---\n{actual}");

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (mode.Accept)
        {
            File.WriteAllText(path, actual);
            if (File.Exists(received)) File.Delete(received);
            Fail($"{what}. Accepted ({UpdateVariable}=1): {path} now holds the generated text. Review the diff (git diff) and rerun without {UpdateVariable}.");
        }
        File.WriteAllText(received, actual);
        Fail($"{what}. The generated text is in {received}: compare them (diff -u '{path}' '{received}') and, if the change is intended, rerun with {UpdateVariable}=1 to accept it.");
    }

    internal static void CheckFolder(string goldenRoot, string caseName, IEnumerable<string> expectedFiles, GoldenMode mode)
    {
        RefuseUpdateUnderCi(mode);
        var folder = Path.Combine(goldenRoot, caseName);
        var expected = expectedFiles.ToHashSet(StringComparer.Ordinal);
        var stale = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(ReceivedSuffix, StringComparison.Ordinal))
                .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
                .Where(f => !expected.Contains(f)).OrderBy(f => f, StringComparer.Ordinal).ToList()
            : new List<string>();
        if (stale.Count == 0) return;
        var list = string.Join(", ", stale);
        if (mode.Accept)
        {
            foreach (var file in stale) File.Delete(Path.Combine(folder, file));
            Fail($"Golden folder {folder} held files nothing generates any more ({list}). Accepted ({UpdateVariable}=1): they were deleted. Review and rerun without {UpdateVariable}.");
        }
        Fail($"Golden folder {folder} holds files nothing generates any more: {list}. Delete them, or rerun with {UpdateVariable}=1 to delete them.");
    }

    private static void RefuseUpdateUnderCi(GoldenMode mode)
    {
        if (mode.Accept && mode.InCi)
            Fail($"{UpdateVariable}=1 is refused under CI (CI is set): golden files are accepted on a developer's machine and reviewed before they are committed. Unset {UpdateVariable} in the CI job.");
    }

    /// <summary>Line and both versions of the first line that differs, so the failure says where without a diff tool.</summary>
    internal static string FirstDifference(string expected, string actual, string expectedName = "golden", string actualName = "generated")
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var left = i < e.Length ? e[i] : "<end of file>";
            var right = i < a.Length ? a[i] : "<end of file>";
            if (left != right) return $"first difference at line {i + 1}: {expectedName} \"{left}\", {actualName} \"{right}\"";
        }
        return "they differ only in line endings";
    }

    /// <summary>MSTest starts every failure with "Assertion failed."; one combined failure needs it once.</summary>
    private static string Unprefixed(string message)
        => message.StartsWith("Assertion failed.", StringComparison.Ordinal) ? message["Assertion failed.".Length..].TrimStart() : message;

    private static void Fail(string message) => Microsoft.VisualStudio.TestTools.UnitTesting.Assert.Fail(message);
}

/// <summary>Whether a golden check may accept (AIC_UPDATE_GOLDEN=1) and whether it runs under CI (CI set, as CI services do).</summary>
internal sealed record GoldenMode(bool Accept, bool InCi)
{
    public static GoldenMode FromEnvironment(string? update, string? ci)
        => new(update == "1", !string.IsNullOrEmpty(ci) && !string.Equals(ci, "false", StringComparison.OrdinalIgnoreCase) && ci != "0");
}
