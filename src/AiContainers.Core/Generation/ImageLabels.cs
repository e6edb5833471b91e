using AiContainers.Core.Spec;

namespace AiContainers.Core.Generation;

/// <summary>
/// The labels an image carries: OCI annotations (org.opencontainers.image.*), the ai.containers.*
/// facts that let tools read CUDA and GPU settings from the image alone, then the user's own.
/// </summary>
public static class ImageLabels
{
    public const string Prefix = "ai.containers.";

    public static IReadOnlyList<NameValue> For(AiImageSpec spec, IReadOnlyList<NameValue>? weights = null)
    {
        var labels = new List<NameValue>();
        void Add(string name, string? value) { if (!string.IsNullOrEmpty(value)) labels.Add(new NameValue(name, value)); }

        var m = spec.Metadata;
        Add("org.opencontainers.image.title", m.Title);
        Add("org.opencontainers.image.version", m.Version);
        Add("org.opencontainers.image.description", m.Description);
        // Only from SOURCE_DATE_EPOCH or AiImageCreated: a wall-clock time would make every build differ.
        Add("org.opencontainers.image.created", m.Created);
        // The .NET SDK defaults Authors and Company to the assembly name; that says nothing, so skip it.
        Add("org.opencontainers.image.authors", m.Authors == m.Title ? null : m.Authors);
        Add("org.opencontainers.image.vendor", m.Vendor == m.Title ? null : m.Vendor);
        Add("org.opencontainers.image.licenses", m.Licenses);
        Add("org.opencontainers.image.source", m.Source);
        Add("org.opencontainers.image.revision", m.Revision);
        Add("org.opencontainers.image.base.name", spec.Base.CanonicalName);

        Add(Prefix + "generator", "AiContainers " + m.GeneratorVersion);
        foreach (var provenance in ProvenanceLabels.For(spec)) Add(provenance.Name, provenance.Value);
        Add(Prefix + "gpu", spec.Gpu.Enabled ? "true" : "false");
        if (spec.Base.Cuda is { } cuda)
        {
            Add(Prefix + "cuda", cuda.Version);
            Add(Prefix + "cudnn", cuda.CudnnMajor?.ToString() ?? "none");
            Add(Prefix + "cuda.flavor", cuda.Flavor.ToString().ToLowerInvariant());
        }
        if (spec.Gpu.Enabled)
        {
            // The driver requirement says one thing: only AiMinDriverVersion puts a floor here, and then the image's
            // NVIDIA_REQUIRE_CUDA is that same floor; otherwise the base image's own NVIDIA_REQUIRE_CUDA rules alone.
            Add(Prefix + "min-driver", spec.Gpu.Driver.MinimumDriver);
            Add(Prefix + "require-cuda", spec.Gpu.Driver.RequireCuda);
            Add(Prefix + "gpu.capabilities", spec.Gpu.Capabilities);
            Add(Prefix + "gpu.count", spec.Gpu.GpuCount);
            Add(Prefix + "gpu.devices", spec.Gpu.GpuDevices.Count > 0 ? string.Join(",", spec.Gpu.GpuDevices) : null);
        }
        Add(Prefix + "shm-size", spec.Gpu.ShmSize);
        Add(Prefix + "memory", spec.Gpu.MemoryLimit);
        Add(Prefix + "cpus", spec.Gpu.CpuLimit);

        // Source, revision and content digest of every model, readable from the image alone.
        labels.AddRange(weights ?? Array.Empty<NameValue>());

        foreach (var user in spec.Labels)
        {
            labels.RemoveAll(l => l.Name == user.Name);
            labels.Add(user);
        }
        return labels;
    }
}
