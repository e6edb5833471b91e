namespace AiContainers.Core.Diagnostics;

/// <summary>Deploy settings (volumes, logs, compose companions, Kubernetes, distributed training): AIC1100–AIC1199, warnings AIC1550–AIC1599.</summary>
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor InvalidVolumeSource = E("AIC1101", "AiVolume '{0}' is neither an absolute host path nor a volume name: {1}. Set the AiVolume Include to a path starting with '/' (a bind mount) or a volume name of lowercase letters, digits, '.' and '-', at most 63 characters (e.g. model-cache)");
    public static readonly AiDiagnosticDescriptor InvalidVolumeTarget = E("AIC1102", "AiVolume '{0}' has ContainerPath '{1}', which is not an absolute container path. Set the AiVolume ContainerPath to a path starting with '/' and without ':' (e.g. /models)");
    public static readonly AiDiagnosticDescriptor DuplicateVolumeTarget = E("AIC1103", "AiVolume '{0}' mounts onto Target '{1}', which another AiVolume already uses. Set a different Target or remove one of the two items");
    public static readonly AiDiagnosticDescriptor InvalidLogMaxSize = E("AIC1104", "AiLogMaxSize '{0}' is not a log file size. Set AiLogMaxSize to a whole number with the unit k, m or g (e.g. 10m)");
    public static readonly AiDiagnosticDescriptor UnknownComposeService = E("AIC1105", "AiComposeService '{0}' is not a companion service AiContainers knows. Use one of: {1}");
    public static readonly AiDiagnosticDescriptor InvalidComposeServiceVersion = E("AIC1106", "AiComposeService '{0}' has Version '{1}', which is not an image tag of {2}. Set the Version metadata to a tag such as {3}, or remove it for the default");
    public static readonly AiDiagnosticDescriptor DuplicateComposeService = E("AIC1107", "AiComposeService '{0}' is listed twice. Remove one of the items");
    public static readonly AiDiagnosticDescriptor InvalidProcsPerNode = E("AIC1108", "AiDistributedProcsPerNode '{0}' is not a process count. Set AiDistributedProcsPerNode to a whole number of 1 or more, or to gpu for one process per GPU");
    public static readonly AiDiagnosticDescriptor ProcsPerGpuOnCpuImage = E("AIC1109", "AiDistributedProcsPerNode is gpu but AiGpu is false, so there is no GPU to count. Set AiDistributedProcsPerNode to a number of processes (e.g. 4)");
    public static readonly AiDiagnosticDescriptor InvalidPortProperty = E("AIC1110", "{0} '{1}' is not a port. Set {0} to a number from 1 to 65535");
    public static readonly AiDiagnosticDescriptor InvalidKubernetesNamespace = E("AIC1111", "AiKubernetesNamespace '{0}' is not a Kubernetes namespace name. Set AiKubernetesNamespace to at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. ml-serving)");
    public static readonly AiDiagnosticDescriptor InvalidMetricsPath = E("AIC1112", "AiMetricsPath '{0}' is not an absolute URL path. Set AiMetricsPath to a path starting with '/' (e.g. /metrics)");
    public static readonly AiDiagnosticDescriptor NoMetricsPort = E("AIC1113", "AiComposeService 'prometheus' has no port to scrape: the project declares no ContainerPort. Set AiMetricsPort (e.g. 9100) or add a ContainerPort item");

    public static readonly AiDiagnosticDescriptor GpuCountAllOnKubernetes = W("AIC1550", "AiGpuCount 'all' has no Kubernetes form, so the manifests request {0} nvidia.com/gpu per pod. Set AiGpuCount to the number of GPUs each pod needs");
    public static readonly AiDiagnosticDescriptor DeploySettingIgnored = W("AIC1551", "{0} applies only to AiWorkload {1} and is ignored for {2}. Remove {0} or set AiWorkload to {1}");
    public static readonly AiDiagnosticDescriptor ProcsExceedGpus = W("AIC1552", "AiDistributedProcsPerNode {0} starts more processes than the {1} GPU(s) each pod gets, so ranks would share a GPU. Set AiDistributedProcsPerNode to {1} or gpu, or raise AiGpuCount");
}
