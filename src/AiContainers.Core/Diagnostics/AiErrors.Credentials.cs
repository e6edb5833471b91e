namespace AiContainers.Core.Diagnostics;

/// <summary>
/// Registry credentials (41xx, warnings 455x) and reaching the Docker engine (31xx): every engine
/// failure names its true cause (refused, no socket file, permission, not an engine, timeout) and
/// what to do; no message ever holds a secret, only where it came from.
/// </summary>
public static partial class AiErrors
{
    // ---- 31xx: reaching the Docker engine, and what the engine lacks ----
    public static readonly AiDiagnosticDescriptor EngineConnectionRefused = E("AIC3100", "No Docker engine listens at {0} (from {1}): connection refused. Start the engine (dockerd or Docker Desktop), or point DOCKER_HOST (or 'docker context use <name>') at a running one, or set AiImageBuilder to None to only generate the Dockerfile{2}");
    public static readonly AiDiagnosticDescriptor EngineSocketMissing = E("AIC3101", "The Docker engine socket {0} (from {1}) does not exist, so no engine runs there. Start the engine, or point DOCKER_HOST (or 'docker context use <name>') at the socket of a running one, or set AiImageBuilder to None to only generate the Dockerfile{2}");
    public static readonly AiDiagnosticDescriptor EnginePermissionDenied = E("AIC3102", "Permission denied opening the Docker engine socket {0} (from {1}). Add the user to the socket's group (usually docker) and log in again, or point DOCKER_HOST at a socket this user may open (e.g. rootless Docker's unix://$XDG_RUNTIME_DIR/docker.sock), or set AiImageBuilder to None to only generate the Dockerfile{2}");
    public static readonly AiDiagnosticDescriptor EngineNotDocker = E("AIC3103", "{0} (from {1}) answered, but not as a Docker engine: {2}. Point DOCKER_HOST (or 'docker context use <name>') at the Docker engine's socket or tcp:// address, or set AiImageBuilder to None to only generate the Dockerfile{3}");
    public static readonly AiDiagnosticDescriptor EngineTimeout = E("AIC3104", "The Docker engine at {0} (from {1}) accepted the connection but did not answer within {2} s. Check that it is not hung or overloaded ('docker info' should answer), or point DOCKER_HOST at another engine, or set AiImageBuilder to None to only generate the Dockerfile{3}");
    public static readonly AiDiagnosticDescriptor BuildWithoutBridgeNetwork = E("AIC3105", "docker build failed at {0}: {1}. The engine at {2} has no bridge network (it runs with --bridge=none), so RUN steps had no network access. Set AiBuildNetwork to host (e.g. -p:AiBuildNetwork=host), or give the engine a bridge network");
    public static readonly AiDiagnosticDescriptor EngineConnectionLost = E("AIC3106", "The connection to the Docker engine at {0} failed during {1}: {2}. Check that the engine is still running ('docker info'), then publish again");

    // ---- 41xx: registry credentials ----
    public static readonly AiDiagnosticDescriptor NoRegistryCredentials = E("AIC4100", "Registry {0} requires a login for {1}, and no credentials for it were found; looked at, in order: {2}. Set AICONTAINERS_{3}_REGISTRY_USER and AICONTAINERS_{3}_REGISTRY_PASSWORD, or run 'docker login {0}' (config.json auths or a credHelpers entry); none of these reach an MSBuild log");

    public static readonly AiDiagnosticDescriptor LoggedRegistrySecret = W("AIC4550", "{0} is set, and MSBuild records every DOTNET_* environment variable verbatim in binary logs (-bl) and in -v:diag output, so this registry password is in any such log (CI systems often upload binlogs). Use AICONTAINERS_PUSH_REGISTRY_USER/PASSWORD (or AICONTAINERS_REGISTRY_USER/PASSWORD), 'docker login', or a credHelpers entry in $DOCKER_CONFIG/config.json instead, and unset {0}");
}
