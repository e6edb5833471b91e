namespace AiContainers.Tests.Infrastructure;

/// <summary>The golden check itself, on a throwaway golden root: it must never turn a mismatch green.</summary>
[TestClass]
public sealed class GoldenTests
{
    private static readonly GoldenMode Local = new(Accept: false, InCi: false);
    private static readonly GoldenMode Accepting = new(Accept: true, InCi: false);
    private static readonly GoldenMode Ci = new(Accept: false, InCi: true);

    private string _root = null!;
    private string Golden(string file = "Dockerfile") => Path.Combine(_root, "case", file);
    private string Received(string file = "Dockerfile") => Golden(file) + Infrastructure.Golden.ReceivedSuffix;

    [TestInitialize]
    public void CreateRoot()
    {
        _root = TestPaths.NewTempDirectory("golden");
        Directory.CreateDirectory(Path.Combine(_root, "case"));
        File.WriteAllText(Golden(), "FROM a\nRUN b\n");
    }

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    private void Check(string actual, GoldenMode mode, string file = "Dockerfile")
        => Infrastructure.Golden.Check(_root, "case", file, actual, mode);

    [TestMethod]
    public void A_match_passes_writes_nothing_and_clears_an_old_received_file()
    {
        File.WriteAllText(Received(), "stale");
        Check("FROM a\nRUN b\n", Local);
        Assert.IsFalse(File.Exists(Received()));
        Check("FROM a\nRUN b\n", Accepting);
        Assert.AreEqual("FROM a\nRUN b\n", File.ReadAllText(Golden()));
    }

    [TestMethod]
    public void A_crlf_checkout_of_the_golden_file_still_matches()
    {
        File.WriteAllText(Golden(), "FROM a\r\nRUN b\r\n");
        Check("FROM a\nRUN b\n", Local);
    }

    [TestMethod]
    public void A_mismatch_fails_writes_received_beside_the_golden_and_leaves_the_golden_alone()
    {
        var failure = Assert.ThrowsExactly<AssertFailedException>(() => Check("FROM a\nRUN c\n", Local));
        Assert.AreEqual("FROM a\nRUN c\n", File.ReadAllText(Received()));
        Assert.AreEqual("FROM a\nRUN b\n", File.ReadAllText(Golden()));
        StringAssert.Contains(failure.Message, "line 2: golden \"RUN b\", generated \"RUN c\"");
        StringAssert.Contains(failure.Message, Received());
        StringAssert.Contains(failure.Message, "AIC_UPDATE_GOLDEN=1");
    }

    [TestMethod]
    public void A_missing_golden_file_fails_names_its_path_and_writes_received()
    {
        var failure = Assert.ThrowsExactly<AssertFailedException>(() => Check("new\n", Local, "compose.yaml"));
        StringAssert.Contains(failure.Message, Golden("compose.yaml") + " is missing");
        Assert.AreEqual("new\n", File.ReadAllText(Received("compose.yaml")));
        Assert.IsFalse(File.Exists(Golden("compose.yaml")));
    }

    [TestMethod]
    public void Accepting_copies_the_generated_text_over_the_golden_and_still_fails_once()
    {
        Assert.ThrowsExactly<AssertFailedException>(() => Check("FROM a\nRUN c\n", Local));
        var failure = Assert.ThrowsExactly<AssertFailedException>(() => Check("FROM a\nRUN c\n", Accepting));
        StringAssert.Contains(failure.Message, "Accepted");
        Assert.AreEqual("FROM a\nRUN c\n", File.ReadAllText(Golden()));
        Assert.IsFalse(File.Exists(Received()), "the received file was consumed");
        // The next run (switch still on or not) is green: the golden file now matches.
        Check("FROM a\nRUN c\n", Accepting);
        Check("FROM a\nRUN c\n", Local);
    }

    [TestMethod]
    public void Under_ci_the_switch_is_refused_even_for_a_match_and_nothing_is_written()
    {
        var refused = Assert.ThrowsExactly<AssertFailedException>(() => Check("FROM a\nRUN b\n", Accepting with { InCi = true }));
        StringAssert.Contains(refused.Message, "refused under CI");
        var failure = Assert.ThrowsExactly<AssertFailedException>(() => Check("FROM a\nRUN c\n", Ci));
        StringAssert.Contains(failure.Message, "RUN c", "the generated text is in the failure, since no file is written");
        Assert.IsFalse(File.Exists(Received()));
        Assert.AreEqual("FROM a\nRUN b\n", File.ReadAllText(Golden()));
    }

    [TestMethod]
    public void Ci_is_read_as_ci_services_set_it()
    {
        Assert.IsTrue(GoldenMode.FromEnvironment(null, "true").InCi);
        Assert.IsTrue(GoldenMode.FromEnvironment(null, "1").InCi);
        Assert.IsFalse(GoldenMode.FromEnvironment(null, null).InCi);
        Assert.IsFalse(GoldenMode.FromEnvironment(null, "").InCi);
        Assert.IsFalse(GoldenMode.FromEnvironment(null, "false").InCi);
        Assert.IsTrue(GoldenMode.FromEnvironment("1", null).Accept);
        Assert.IsFalse(GoldenMode.FromEnvironment("true", null).Accept, "only 1 accepts, as documented");
    }

    [TestMethod]
    public void A_stale_golden_file_fails_and_accepting_deletes_it_while_received_files_are_ignored()
    {
        File.WriteAllText(Golden("old.yaml"), "x");
        File.WriteAllText(Received(), "ignored");
        var failure = Assert.ThrowsExactly<AssertFailedException>(() => Infrastructure.Golden.CheckFolder(_root, "case", new[] { "Dockerfile" }, Local));
        StringAssert.Contains(failure.Message, "old.yaml");
        Assert.IsFalse(failure.Message.Contains(".received"), failure.Message);
        Assert.ThrowsExactly<AssertFailedException>(() => Infrastructure.Golden.CheckFolder(_root, "case", new[] { "Dockerfile" }, Accepting));
        Assert.IsFalse(File.Exists(Golden("old.yaml")));
        Infrastructure.Golden.CheckFolder(_root, "case", new[] { "Dockerfile" }, Local);
    }
}
