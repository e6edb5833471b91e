using System.Text.RegularExpressions;
using AiContainers.Core.Generation;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>
/// Wraps the image's command in torchrun for distributed training. torchrun starts Python itself, so
/// <c>python train.py …</c> becomes <c>torchrun … train.py …</c> and <c>python -m pkg …</c> becomes
/// <c>torchrun … -m pkg …</c>; any other command runs as is under <c>--no-python</c>.
/// </summary>
public static partial class TorchrunCommand
{
    [GeneratedRegex(@"^(.*/)?python(\d+(\.\d+)?)?$")] private static partial Regex PythonRegex();

    /// <param name="nodeRank">How the node rank reaches torchrun, e.g. $(RANK), which Kubernetes expands from the env.</param>
    /// <param name="literal">Escapes a word of the user's command for where the command goes (see <see cref="DeployValues.KubernetesLiteral"/>).</param>
    public static IReadOnlyList<string> For(AiImageSpec spec, DistributedSpec distributed, string nodeRank, string masterAddr, string masterPort, Func<string, string> literal)
    {
        var words = new List<string>
        {
            "torchrun",
            "--nnodes", DeployValues.Invariant(distributed.Nodes),
            "--nproc-per-node", distributed.ProcsPerNode,
            "--node-rank", nodeRank,
            "--master-addr", masterAddr,
            "--master-port", masterPort,
        };
        var command = DockerfileGenerator.EntrypointFor(spec).Concat(spec.Entrypoint.Count > 0 ? spec.Command : Array.Empty<string>()).Select(literal).ToList();
        if (command.Count >= 2 && PythonRegex().IsMatch(command[0]) && !command[1].StartsWith('-'))
            words.AddRange(command.Skip(1));
        else if (command.Count >= 3 && PythonRegex().IsMatch(command[0]) && command[1] == "-m")
            words.AddRange(command.Skip(1));
        else if (command.Count >= 1 && command[0].EndsWith(".py", StringComparison.Ordinal))
            words.AddRange(command);
        else
        {
            words.Add("--no-python");
            words.AddRange(command);
        }
        return words;
    }
}
