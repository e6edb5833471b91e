using AiContainers.Core.Deploy;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Images;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Hardening;

/// <summary>One test per class of hostile input (issue #10), each with the issue's own example where it gave one.</summary>
[TestClass]
public sealed class HostileInputClassTests
{
    private static MapResult Map(ProjectInputs input) => AiImageSpecMapper.Map(input);

    private static AiDiagnostic Single(MapResult result, string code)
    {
        Assert.IsNull(result.Spec, "no spec may come out of refused input");
        var found = result.Diagnostics.Where(d => d.Code == code).ToList();
        Assert.AreEqual(1, found.Count, $"expected one {code}, got: {string.Join(" | ", result.Diagnostics)}");
        return found[0];
    }

    // ---------------------------------------------------------------- control characters

    [TestMethod]
    public void Control_characters_issue_example_working_directory_with_a_RUN_line_is_refused_naming_the_property()
    {
        var d = Single(Map(HostileValues.Baseline().Set("ContainerWorkingDirectory", "/models\nRUN touch /pwned")), "AIC1600");
        Assert.AreEqual("ContainerWorkingDirectory", d.Property);
        Assert.AreEqual("AIC1600: ContainerWorkingDirectory '/models\\u000ARUN touch /pwned' contains the control character U+000A (line feed), which would split a line of the generated Dockerfile, scripts or manifests. Set ContainerWorkingDirectory to a single line without control characters.", d.Message);
    }

    [TestMethod]
    public void Control_characters_in_a_run_command_item_are_refused_naming_item_type_and_field()
    {
        var d = Single(Map(HostileValues.BaselineProperties().Add("AiRunCommand", "echo hi\nUSER root")), "AIC1601");
        Assert.AreEqual("AiRunCommand", d.Property);
        StringAssert.Contains(d.Message, "has Include 'echo hi\\u000AUSER root'");
    }

    [TestMethod]
    [DataRow("\r"), DataRow("\0"), DataRow("\t"), DataRow("\u2028"), DataRow("\u2029"), DataRow("\u0085"), DataRow("\u001b")]
    public void Control_characters_of_every_kind_in_item_metadata_are_refused_once(string character)
    {
        var result = Map(HostileValues.BaselineProperties().Add("ContainerEnvironmentVariable", "MODE", ("Value", "a" + character + "b")));
        var d = Single(result, "AIC1601");
        Assert.AreEqual("ContainerEnvironmentVariable", d.Property);
        StringAssert.Contains(d.Message, "has Value 'a\\u" + ((int)character[0]).ToString("X4") + "b'");
        Assert.AreEqual(1, result.Diagnostics.Count(x => x.Property == "ContainerEnvironmentVariable"), "one error per refused value, no echoes from later checks");
    }

    [TestMethod]
    public void Control_characters_every_offender_is_reported_at_once()
    {
        var result = Map(HostileValues.Baseline().Set("ContainerWorkingDirectory", "/a\nb").Set("AiCommand", "x\0").Add("AiRunCommand", "a\rb"));
        CollectionAssert.AreEquivalent(new[] { "AiCommand", "AiRunCommand", "ContainerWorkingDirectory" },
            result.Diagnostics.Where(d => d.Code is "AIC1600" or "AIC1601").Select(d => d.Property).ToList());
    }

    [TestMethod]
    public void Control_characters_around_a_value_written_over_several_lines_are_layout_not_content()
    {
        var spec = Inputs.Spec(HostileValues.Baseline().Set("ContainerWorkingDirectory", "\n    /models\n  "));
        Assert.AreEqual("/models", spec.WorkingDirectory);
    }

    [TestMethod]
    public void Control_characters_multi_line_description_is_folded_into_one_label_line()
    {
        var spec = Inputs.Spec(HostileValues.Baseline().Set("Description", "Sentiment service.\n    Serves\tONNX models."));
        Assert.AreEqual("Sentiment service. Serves ONNX models.", spec.Metadata.Description);
        StringAssert.Contains(DockerfileGenerator.Generate(spec).Text, "org.opencontainers.image.description=\"Sentiment service. Serves ONNX models.\"");
        Single(Map(HostileValues.Baseline().Set("Description", "a\0b")), "AIC1600");
    }

    [TestMethod]
    public void Control_characters_that_reach_the_dockerfile_encoder_are_a_coded_bug_not_output()
    {
        var e = Assert.ThrowsExactly<AiException>(() => DockerfileGenerator.Quote("a\nRUN x"));
        Assert.AreEqual("AIC2600", e.Code);
        Assert.ThrowsExactly<AiException>(() => DockerfileGenerator.Quote("a\u2028b"));
    }

    // ---------------------------------------------------------------- quotes, backslashes, $ expansions

    [TestMethod]
    public void Quotes_backslashes_and_expansions_reach_every_file_verbatim()
    {
        const string value = "it's \"quoted\" \\ $(id) ${HOME} $HOME `id` && x; #y";
        var spec = Inputs.Spec(HostileValues.BaselineProperties().Add("ContainerEnvironmentVariable", "TRICKY", ("Value", value)));
        var dockerfile = DockerfileGenerator.Generate(spec).Text;
        StringAssert.Contains(dockerfile, "TRICKY=\"it's \\\"quoted\\\" \\\\ \\$(id) \\${HOME} \\$HOME `id` && x; #y\"");
        Assert.AreEqual(value, HostileValues.ImageEnvironmentOf(dockerfile)["TRICKY"]);

        var files = HostileValues.DeployFiles(spec);
        var compose = HostileValues.Yaml(files[ComposeGenerator.FileName]);
        Assert.AreEqual(value, HostileValues.ComposeValue(HostileValues.At(compose, "services", DeployValues.AppName(spec), "environment", "TRICKY")));
        CollectionAssert.Contains(HostileValues.DockerRunArguments(files[DockerRunGenerator.FileName]).ToList(), "TRICKY=" + value);
    }

    [TestMethod]
    public void Quotes_in_labels_and_metadata_stay_inside_their_label()
    {
        var spec = Inputs.Spec(HostileValues.Baseline().Set("Authors", "O'Brien \"OB\" \\ $USER").Set("Description", "a\" \\ LABEL evil=\"1\""));
        var labels = HostileValues.ImageLabelsOf(DockerfileGenerator.Generate(spec).Text);
        Assert.AreEqual("O'Brien \"OB\" \\ $USER", labels["org.opencontainers.image.authors"]);
        Assert.IsFalse(labels.ContainsKey("evil"));
    }

    // ---------------------------------------------------------------- paths written bare into the Dockerfile

    [TestMethod]
    [DataRow("/my app", "' ' is not allowed"), DataRow("/app\"x", "'\"' is not allowed"), DataRow("/app$HOME", "'$' is not allowed"),
     DataRow("/app\\x", "'\\' is not allowed"), DataRow("/srv/../etc", "'..' segment"), DataRow("/app;rm", "';' is not allowed")]
    public void Paths_working_directory_outside_the_safe_alphabet_is_refused(string path, string why)
    {
        var d = Single(Map(HostileValues.Baseline().Set("ContainerWorkingDirectory", path)), "AIC1602");
        Assert.AreEqual("ContainerWorkingDirectory", d.Property);
        StringAssert.Contains(d.Message, why);
    }

    [TestMethod]
    [DataRow("/app"), DataRow("/opt/my-app_1.2/v@2+x=y,z")]
    public void Paths_working_directory_of_the_safe_alphabet_is_kept(string path)
        => Assert.AreEqual(path, Inputs.Spec(HostileValues.Baseline().Set("ContainerWorkingDirectory", path)).WorkingDirectory);

    // ---------------------------------------------------------------- Dockerfile syntax that spans lines on one line

    [TestMethod]
    [DataRow("echo a \\", "ends with '\\'"), DataRow("cat <<EOF", "heredoc word '<<EOF'"), DataRow("cat <<-'END' > /x", "heredoc word"), DataRow("python3 - 0<<PY", "heredoc word")]
    public void Run_command_line_continuations_and_heredocs_are_refused(string command, string why)
    {
        var d = Single(Map(HostileValues.BaselineProperties().Add("AiRunCommand", command)), "AIC1603");
        Assert.AreEqual("AiRunCommand", d.Property);
        StringAssert.Contains(d.Message, why);
    }

    [TestMethod]
    public void Run_command_here_strings_and_shell_syntax_stay_one_step()
    {
        var spec = Inputs.Spec(HostileValues.BaselineProperties().Add("AiRunCommand", "cat <<<\"$HOME\" && echo \"a\\\\b\" | tee /x"));
        var runs = HostileValues.Instructions(DockerfileGenerator.Generate(spec).Text).Where(i => i.Keyword == "RUN").ToList();
        Assert.AreEqual("RUN cat <<<\"$HOME\" && echo \"a\\\\b\" | tee /x", runs.Last().Text);
    }

    // ---------------------------------------------------------------- sizes the engine cannot take

    [TestMethod]
    [DataRow("AiMemoryLimit", "100000000000000000000000000000g"), DataRow("AiShmSize", "8589934592g"), DataRow("AiMemorySwap", "8388608t"), DataRow("AiLogMaxSize", "9007199254740992g")]
    public void Sizes_beyond_int64_bytes_are_refused_naming_the_property(string property, string size)
    {
        var d = Single(Map(HostileValues.Baseline().Set(property, size)), "AIC1604");
        Assert.AreEqual(property, d.Property);
        StringAssert.Contains(d.Message, "9223372036854775807 bytes");
    }

    [TestMethod]
    public void Sizes_up_to_int64_bytes_are_kept()
    {
        var spec = Inputs.Spec(HostileValues.Baseline().Set("AiMemoryLimit", "8589934591g"));
        Assert.AreEqual("8589934591g", spec.Gpu.MemoryLimit);
    }

    // ---------------------------------------------------------------- the mapping defects of issue #10

    [TestMethod]
    public void Defects_health_check_port_0_names_AiHealthCheckPort_not_ContainerPort()
    {
        var result = Map(HostileValues.Baseline().Set("AiHealthCheckPort", "0"));
        var d = Single(result, "AIC1110");
        Assert.AreEqual("AiHealthCheckPort", d.Property);
        StringAssert.StartsWith(d.Message, "AIC1110: AiHealthCheckPort '0' is not a port.");
        Assert.IsFalse(result.Diagnostics.Any(x => x.Code is "AIC1015" or "AIC1019"), string.Join(" | ", result.Diagnostics));
    }

    [TestMethod]
    public void Defects_an_invalid_container_port_is_not_followed_by_add_a_container_port()
    {
        var result = Map(HostileValues.BaselineProperties().Set("UsingMicrosoftNETSdkWeb", "false").Add("ContainerPort", "70000"));
        Single(result, "AIC1015");
        Assert.IsFalse(result.Diagnostics.Any(x => x.Code == "AIC1019"), string.Join(" | ", result.Diagnostics));
    }

    [TestMethod]
    public void Defects_cuda_cudnn_and_flavor_errors_are_reported_together()
    {
        var result = Map(HostileValues.Baseline().Set("AiCudaVersion", "twelve").Set("AiCudnnVersion", "7").Set("AiCudaFlavor", "slim"));
        CollectionAssert.IsSubsetOf(new[] { "AIC1003", "AIC1005", "AIC1001" }, result.Diagnostics.Select(d => d.Code).ToList(), string.Join(" | ", result.Diagnostics));
    }

    [TestMethod]
    public void Defects_every_message_ends_with_exactly_one_period()
    {
        var descriptors = typeof(AiErrors).GetFields().Where(f => f.FieldType == typeof(AiDiagnosticDescriptor)).Select(f => (AiDiagnosticDescriptor)f.GetValue(null)!).ToList();
        foreach (var descriptor in descriptors)
        {
            var message = descriptor.Create("P", Enumerable.Repeat<object?>("x", 8).ToArray()).Message;
            StringAssert.EndsWith(message, ".", descriptor.Code);
            Assert.IsFalse(message.EndsWith("..", StringComparison.Ordinal), $"{descriptor.Code} doubles its period: {message}");
        }
        Assert.AreEqual("AIC1020: X 'y' is not a duration. Set X to a whole number followed by s, m or h (e.g. 30s).", AiErrors.InvalidDuration.Create("X", "X", "y").Message);
    }

    [TestMethod]
    public void Defects_registry_mirror_takes_comma_separated_mappings_from_the_command_line()
    {
        var mirror = RegistryMirror.TryParse("docker.io=127.0.0.1:5000/hub,nvcr.io=127.0.0.1:5000/nvcr", out var error);
        Assert.IsNotNull(mirror, error);
        CollectionAssert.AreEqual(new[] { "docker.io", "nvcr.io" }, mirror.Mappings.Select(m => m.SourceRegistry).ToList());
        Assert.AreEqual(mirror.ToString(), RegistryMirror.TryParse("docker.io=127.0.0.1:5000/hub;nvcr.io=127.0.0.1:5000/nvcr", out _)!.ToString());
    }

    [TestMethod]
    public void Defects_container_image_tags_take_commas_too()
        => CollectionAssert.AreEqual(new[] { "1.2.0", "latest" }, Inputs.Spec(HostileValues.Baseline().Set("ContainerImageTags", "1.2.0,latest")).Identity.Tags.ToList());
}
