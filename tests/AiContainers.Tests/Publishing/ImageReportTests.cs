using AiContainers.Core.Publishing;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Publishing;

/// <summary>image-report.html: what it shows, that hostile values stay text, and that a real browser renders it.</summary>
[TestClass]
public sealed class ImageReportTests
{
    private static (PublishedImage Image, AiImageSpec Spec) Sample(string description = "app")
    {
        var spec = Inputs.Spec(Inputs.WebApp());
        var layers = new[]
        {
            new PublishedLayer("user home", "sha256:" + new string('a', 64), 120, New: false),
            new PublishedLayer(".NET runtime", "sha256:" + new string('b', 64), 70L << 20, New: false),
            new PublishedLayer(description, "sha256:" + new string('c', 64), 60_000, New: true),
        };
        var image = new PublishedImage(spec.Identity, "Daemonless", "Auto: no step needs RUN", "sha256:" + new string('d', 64), "sha256:" + new string('e', 64),
            (70L << 20) + 60_120, true, 60_500, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(0.2), layers);
        return (image, spec);
    }

    [TestMethod]
    public void The_report_lists_layers_with_what_is_new_and_what_dominates()
    {
        var (image, spec) = Sample();
        var html = ImageReport.Render(image, spec, null);
        StringAssert.Contains(html, "the largest layer is <strong>.NET runtime (70.0 MiB)</strong>");
        StringAssert.Contains(html, "<td class=\"new\">new</td>");
        StringAssert.Contains(html, "already there");
        StringAssert.Contains(html, "k8s/");
        StringAssert.Contains(html, "Daemonless");
    }

    [TestMethod]
    public void Values_are_escaped_so_no_project_text_becomes_markup()
    {
        var (image, spec) = Sample("<script>alert(1)</script>");
        var html = ImageReport.Render(image, spec, null);
        Assert.IsFalse(html.Contains("<script>", StringComparison.Ordinal), html);
        StringAssert.Contains(html, "&lt;script&gt;");
    }

    [TestMethod]
    public void Headless_chromium_renders_the_report_with_its_tables()
    {
        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium)) EngineEnvironment.Unavailable("chromium is not installed (build/setup.sh installs Debian's chromium)");
        var (image, spec) = Sample();
        var folder = TestPaths.NewTempDirectory("report");
        var page = Path.Combine(folder, ImageReport.FileName);
        File.WriteAllText(page, ImageReport.Render(image, spec, null));
        var screenshot = Path.Combine(folder, "report.png");
        var common = new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + Path.Combine(folder, "profile") };
        var dom = ProcessRunner.Run(chromium, common.Concat(new[] { "--dump-dom", "file://" + page }), folder, timeout: TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, dom.ExitCode, dom.Output);
        // The DOM after parsing: the three tables exist and the layers table has its header and three rows.
        StringAssert.Contains(dom.StandardOutput, "<table id=\"layers\">");
        Assert.AreEqual(4, CountRows(dom.StandardOutput, "layers"), "a header and three layers");
        Assert.IsTrue(CountRows(dom.StandardOutput, "gpu") >= 2, "the GPU facts table");
        var shot = ProcessRunner.Run(chromium, common.Concat(new[] { "--screenshot=" + screenshot, "--window-size=1200,900", "file://" + page }), folder, timeout: TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, shot.ExitCode, shot.Output);
        Assert.IsTrue(new FileInfo(screenshot).Length > 10_000, "the screenshot holds a rendered page");
    }

    private static int CountRows(string dom, string tableId)
    {
        var start = dom.IndexOf($"<table id=\"{tableId}\">", StringComparison.Ordinal);
        if (start < 0) return 0;
        var end = dom.IndexOf("</table>", start, StringComparison.Ordinal);
        return dom[start..end].Split("<tr>").Length - 1;
    }
}
