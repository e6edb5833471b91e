using AiContainers.Core.Spec;

namespace AiContainers.Core.Generation;

/// <summary>The environment baked into the image: runtime settings first, then the user's (which win).</summary>
public static class ImageEnvironment
{
    public static IReadOnlyList<NameValue> For(AiImageSpec spec, IReadOnlyList<NameValue>? weights = null)
    {
        var env = new List<NameValue>();
        void Set(string name, string value) { env.RemoveAll(e => e.Name == name); env.Add(new NameValue(name, value)); }

        // The package's numeric user has no /etc/passwd entry (no RUN needed): HOME says where its home is, and the
        // frameworks' caches point into it (WritablePlaces), since code and weights are read-only to the user.
        foreach (var place in WritablePlaces.Environment(spec)) Set(place.Name, place.Value);

        if (spec.Gpu.Enabled)
        {
            // What the NVIDIA container toolkit reads: which GPUs, which driver libraries, which CUDA.
            Set("NVIDIA_VISIBLE_DEVICES", spec.Gpu.VisibleDevices);
            Set("NVIDIA_DRIVER_CAPABILITIES", spec.Gpu.Capabilities);
            if (spec.Gpu.RequireCuda is { } require) Set("NVIDIA_REQUIRE_CUDA", require);
        }

        if (spec.Dotnet is { } dotnet)
        {
            if (!dotnet.SelfContained)
            {
                Set("DOTNET_ROOT", "/usr/share/dotnet");
            }
            if (dotnet.IsWebApp)
            {
                var tcp = spec.Ports.Where(p => p.Protocol == "tcp").Select(p => p.Number.ToString()).ToList();
                Set("ASPNETCORE_HTTP_PORTS", tcp.Count > 0 ? string.Join(";", tcp) : "8080");
            }
            if (NeedsInvariantGlobalization(spec)) Set("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "true");
            // Containers get a cgroup CPU/memory view; this keeps GC heaps sized to the limit.
            Set("DOTNET_RUNNING_IN_CONTAINER", "true");
        }

        if (spec.Python is not null)
        {
            // The venv's bin/ goes first on PATH in the Dockerfile itself (ENV PATH=…:$PATH keeps the base's PATH).
            Set("VIRTUAL_ENV", Python.PythonAppSpec.VirtualEnv);
            // Logs reach `docker logs` as they happen; the non-root user cannot write .pyc files into the app anyway.
            Set("PYTHONUNBUFFERED", "1");
            Set("PYTHONDONTWRITEBYTECODE", "1");
        }

        if (spec.Serving is { Runtime: Serving.ServingRuntime.TensorFlowServing } tf)
        {
            // What the base image's own entrypoint reads, so `docker run --entrypoint /usr/bin/tf_serving_entrypoint.sh` serves the same model.
            Set("MODEL_NAME", tf.Models[0].Name);
            Set("MODEL_BASE_PATH", Serving.ServingSpec.TfModelsRoot);
        }

        // AI_MODEL_<NAME>_PATH (and HF_HOME for the Hugging Face cache layout) point at the weights.
        foreach (var model in weights ?? Array.Empty<NameValue>()) Set(model.Name, model.Value);
        foreach (var user in spec.Environment) Set(user.Name, user.Value);
        return env;
    }

    /// <summary>CUDA and Ubuntu bases ship no ICU; without it .NET refuses to start unless invariant.</summary>
    public static bool NeedsInvariantGlobalization(AiImageSpec spec)
        => spec.Dotnet is { GlobalizationInvariant: false } && !spec.SystemPackages.Any(p => p.StartsWith("libicu", StringComparison.Ordinal));
}
