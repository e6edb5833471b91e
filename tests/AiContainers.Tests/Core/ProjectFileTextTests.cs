using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;
using AiContainers.Tests.Python;

namespace AiContainers.Tests.Core;

/// <summary>
/// The requirements file reaches the mapper as a file text the task read (<see cref="ProjectInputs.SetFileText"/>),
/// not as a property: its lines are no property value (no control-character refusal), and no project property can pose as it.
/// </summary>
[TestClass]
public sealed class ProjectFileTextTests
{
    private static ProjectInputs Trainer() => PythonInputs.Standalone().Set("AiCommand", "python train.py").Set("AiPythonRequirements", "requirements.txt");

    [TestMethod]
    public void The_requirements_text_picks_the_cuda_version_and_its_line_breaks_are_no_error()
    {
        var input = Trainer().SetFileText("AiPythonRequirements", "--extra-index-url https://download.pytorch.org/whl/cu118\ntorch==2.7.1+cu118\r\nnumpy\n");
        var result = AiImageSpecMapper.Map(input);
        Assert.IsNotNull(result.Spec, string.Join(" | ", result.Diagnostics));
        Assert.AreEqual("11.8", result.Spec.Base.Cuda!.MajorMinor, "torch's +cu118 pin decides CUDA");
        Assert.IsFalse(result.Diagnostics.Any(d => d.IsError));
    }

    [TestMethod]
    public void A_property_cannot_pose_as_the_requirements_text()
    {
        var withText = Inputs.Spec(Trainer().SetFileText("AiPythonRequirements", "torch==2.7.1+cu118\n"));
        var withProperty = Inputs.Spec(Trainer().Set("_AiPythonRequirementsText", "torch==2.7.1+cu118"));
        Assert.AreEqual("11.8", withText.Base.Cuda!.MajorMinor);
        Assert.AreNotEqual("11.8", withProperty.Base.Cuda!.MajorMinor, "the old test hook property is gone from the mapper's inputs");
    }
}
