namespace AiContainers.Core.Diagnostics;

/// <summary>70xx / 75xx: aicontainers.lock.json (AiLockMode, AiLockFile): reading it, checking it against the project, the registries and the Hub.</summary>
public static partial class AiErrors
{
    // ---- 700x: the lock file itself ----
    public static readonly AiDiagnosticDescriptor LockFileCorrupt = E("AIC7000", "The lock file '{0}' cannot be read: {1}. Fix or delete it, or regenerate it with -p:AiLockMode=Update");
    public static readonly AiDiagnosticDescriptor LockFileTooNew = E("AIC7001", "The lock file '{0}' was written by AiContainers {1} (lock schema {2}); this is AiContainers {3}, which reads lock schema {4} and older. Use AiContainers {1} or newer, or regenerate the lock with -p:AiLockMode=Update");
    public static readonly AiDiagnosticDescriptor LockFileOtherProject = E("AIC7002", "The lock file '{0}' belongs to project '{1}', not '{2}'. Set AiLockFile to this project's own lock file, or regenerate it with -p:AiLockMode=Update");
    public static readonly AiDiagnosticDescriptor LockedBaseDigestMissing = E("AIC7003", "The base image {0} is pinned by the lock file '{1}' to {2}, which {3} no longer has ({4}). Pin a digest that exists (name tag and digest in AiBaseImage, e.g. {0}@sha256:...), or re-resolve the tag with -p:AiLockMode=Update");
    public static readonly AiDiagnosticDescriptor LockDrift = E("AIC7004", "AiLockMode is Locked and the build no longer matches the lock file '{0}': {1}. Nothing was built or pushed. Commit a lock that matches (run dotnet publish -p:PublishAiImage=true -p:AiLockMode=Update and commit {2}), or undo the change");
    public static readonly AiDiagnosticDescriptor LockFileMissing = E("AIC7005", "AiLockMode is Locked but there is no lock file at '{0}'. Create it with -p:AiLockMode=Update (or Auto) and commit it, or set AiLockFile to where it is");
    public static readonly AiDiagnosticDescriptor LockedModelContentChanged = E("AIC7006", "AiModel '{0}' file '{1}' is pinned by the lock file '{2}' to SHA-256 {3}, but the source now sends {4}. Re-resolve the model with -p:AiLockMode=Update (and commit the lock), or restore the source");
    public static readonly AiDiagnosticDescriptor LockedModelLayerGone = E("AIC7007", "AiModel '{0}' was to reuse layer {1} that {2}/{3} held when the build started (aicontainers.lock.json), but it is gone now. Publish again: the model is then fetched and its layer pushed");
    public static readonly AiDiagnosticDescriptor LockPlanUnreadable = E("AIC7008", "The lock plan '{0}' from the ResolveAiLock step cannot be read: {1}. Publish again (it is rewritten), or set AiLockMode=Ignore");

    // ---- 750x: warnings ----
    public static readonly AiDiagnosticDescriptor LockBaseMoved = W("AIC7500", "The base image {0} now points at {1}, but the lock file '{2}' pins {3}; building from the pinned {3}. To move to the new digest, publish with -p:AiLockMode=Update and commit the lock");
    public static readonly AiDiagnosticDescriptor LockLocalModelChanged = W("AIC7501", "AiModel '{0}' changed since the lock file '{1}' was written ({2}); the lock now records the new content. Commit the updated lock");
}
