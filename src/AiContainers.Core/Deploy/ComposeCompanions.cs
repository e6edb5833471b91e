namespace AiContainers.Core.Deploy;

/// <summary>A companion service compose.yaml can run beside the app.</summary>
public sealed record ComposeCompanion(string Name, string Image, string DefaultVersion, int Port, string DataPath);

/// <summary>
/// The <c>AiComposeService</c> names AiContainers knows. Default tags are current stable releases of the
/// official images (postgres on Docker Hub, prom/prometheus, grafana/grafana); a Version metadata overrides them.
/// </summary>
public static class ComposeCompanions
{
    public const string Postgres = "postgres";
    public const string Prometheus = "prometheus";
    public const string Grafana = "grafana";

    public static readonly IReadOnlyList<ComposeCompanion> Known = new[]
    {
        new ComposeCompanion(Postgres, "postgres", "17", 5432, "/var/lib/postgresql/data"),
        new ComposeCompanion(Prometheus, "prom/prometheus", "v3.5.0", 9090, "/prometheus"),
        new ComposeCompanion(Grafana, "grafana/grafana", "12.0.0", 3000, "/var/lib/grafana"),
    };

    public static ComposeCompanion? Find(string name) => Known.FirstOrDefault(k => k.Name == name);
}
