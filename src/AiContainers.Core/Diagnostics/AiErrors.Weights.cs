namespace AiContainers.Core.Diagnostics;

/// <summary>5xxx: model weights (AiModel items): mapping, fetching, verifying, caching and laying them out.</summary>
public static partial class AiErrors
{
    // ---- 50xx: AiModel items (mapping and validation, before any I/O) ----
    public static readonly AiDiagnosticDescriptor InvalidModelName = E("AIC5001", "AiModel '{0}' is not a valid model name (it names the model's folder and its AI_MODEL_*_PATH variable). Use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. bert-base)");
    public static readonly AiDiagnosticDescriptor MissingModelSource = E("AIC5002", "AiModel '{0}' has no Source. Set Source to hf://org/repo[@revision], an https:// URL, or a file or folder relative to the project");
    public static readonly AiDiagnosticDescriptor UnsupportedModelSource = E("AIC5003", "AiModel '{0}' Source '{1}' uses an unsupported scheme '{2}'. Set Source to hf://org/repo[@revision], an https:// URL, or a file or folder relative to the project");
    public static readonly AiDiagnosticDescriptor InvalidHfSource = E("AIC5004", "AiModel '{0}' Source '{1}' is not a Hugging Face model reference: {2}. Set Source to hf://org/repo or hf://org/repo@revision, where revision is a branch, a tag or a 40-hex commit");
    public static readonly AiDiagnosticDescriptor MissingModelSha256 = E("AIC5005", "AiModel '{0}' downloads {1} without a Sha256, so its content cannot be verified. Set Sha256 to the file's 64-hex SHA-256 (sha256sum prints it), or set AllowUnverified to true to accept whatever the server sends");
    public static readonly AiDiagnosticDescriptor InvalidModelSha256 = E("AIC5006", "AiModel '{0}' Sha256 '{1}' is not a SHA-256 digest. Set Sha256 to 64 hexadecimal characters (an optional sha256: prefix is allowed)");
    public static readonly AiDiagnosticDescriptor InvalidModelTarget = E("AIC5007", "AiModel '{0}' Target '{1}' {2}. Set Target to an absolute path in the image without '..' (e.g. /models/{0})");
    public static readonly AiDiagnosticDescriptor DuplicateModelName = E("AIC5008", "AiModel '{0}' and '{1}' would share the environment variable {2}. Use distinct Include names (names differing only in case or in '.', '_' and '-' collide)");
    public static readonly AiDiagnosticDescriptor OverlappingModelTargets = E("AIC5009", "AiModel '{0}' Target '{1}' overlaps AiModel '{2}' Target '{3}'. Set Target so that no model's files land inside another's");
    public static readonly AiDiagnosticDescriptor InvalidModelGlob = E("AIC5010", "AiModel '{0}' {1} pattern '{2}' is not supported: {3}. Use ';'-separated relative patterns where * matches within one folder and ** across folders (e.g. *.safetensors;config.json;onnx/**/*.onnx)");
    public static readonly AiDiagnosticDescriptor InvalidModelLayout = E("AIC5011", "AiModel '{0}' Layout '{1}' {2}. Set Layout to files, or to hf-cache for an hf:// source");
    public static readonly AiDiagnosticDescriptor InvalidModelBoolean = E("AIC5012", "AiModel '{0}' {1} '{2}' is not a boolean. Set {1} to true or false");
    public static readonly AiDiagnosticDescriptor ModelMetadataNotApplicable = E("AIC5013", "AiModel '{0}' sets {1}, which does not apply to {2}. Remove {1} from the item");
    public static readonly AiDiagnosticDescriptor CredentialsInModelUrl = E("AIC5014", "AiModel '{0}' Source carries a user name or password in the URL, which would end up in logs and image labels. Remove them from Source (use HF_TOKEN for Hugging Face, or a URL that needs no credentials)");
    public static readonly AiDiagnosticDescriptor HfCacheTargetsDiffer = E("AIC5015", "AiModel '{0}' and '{1}' use Layout hf-cache with different Targets ('{2}' and '{3}'), but an image has one HF_HOME. Set the same Target on every hf-cache model, or leave Target unset");
    public static readonly AiDiagnosticDescriptor DuplicateHfCacheRepository = E("AIC5016", "AiModel '{0}' and '{1}' both put {2} into the hf-cache layout, where only one revision can be refs/main. Remove one of them, or set Layout to files on one");

    // ---- 502x: fetching (network, cache, verification) ----
    public static readonly AiDiagnosticDescriptor HfUnauthorized = E("AIC5020", "{0} answered 401 Unauthorized for AiModel '{1}' ({2}): the repository is private or gated, or does not exist, and HF_TOKEN is {3}. Set HF_TOKEN to a Hugging Face access token with read access to {2} (https://huggingface.co/settings/tokens), and check the repository name in Source");
    public static readonly AiDiagnosticDescriptor HfForbidden = E("AIC5021", "{0} answered 403 Forbidden for AiModel '{1}' ({2}){3}. Check that the account of HF_TOKEN has been granted access to {2} (gated models need the access request accepted on the model page) and that the token has read permission");
    public static readonly AiDiagnosticDescriptor HfNotFound = E("AIC5022", "{0} answered 404 Not Found for AiModel '{1}': {2}. Check the repository name and the revision after '@' in Source, and the Files patterns against the repository's file list");
    public static readonly AiDiagnosticDescriptor ModelDownloadFailed = E("AIC5023", "Downloading {0} for AiModel '{1}' failed after {2} attempt(s): {3}. Check the network and HF_ENDPOINT, then build again (a partial download resumes); with no network, fetch once online and build with HF_HUB_OFFLINE=1");
    public static readonly AiDiagnosticDescriptor ModelChecksumMismatch = E("AIC5024", "AiModel '{0}' file '{1}' has {2} {3} but {4} was expected, so the download was discarded. Check Sha256 (or that the source has not changed), then build again");
    public static readonly AiDiagnosticDescriptor ModelNotCachedOffline = E("AIC5025", "HF_HUB_OFFLINE is set and AiModel '{0}' needs {1}, which is not in the model cache '{2}'. Build once with network access (unset HF_HUB_OFFLINE), or set AiModelCacheDirectory to a cache that has it");
    public static readonly AiDiagnosticDescriptor UnsafeModelFilePath = E("AIC5026", "AiModel '{0}' lists a file '{1}' that would escape its target folder ({2}). Check that Source is trusted; AiContainers refuses such names");
    public static readonly AiDiagnosticDescriptor NoModelFilesMatched = E("AIC5027", "AiModel '{0}' selects no files from {1} (Files '{2}', Exclude '{3}'). Check Files and Exclude against the files there: {4}");
    public static readonly AiDiagnosticDescriptor LocalModelSourceMissing = E("AIC5028", "AiModel '{0}' Source '{1}' does not exist (looked for {2}). Set Source to a file or folder relative to the project directory");
    public static readonly AiDiagnosticDescriptor ModelSourceRefused = E("AIC5029", "{0} answered {1} for AiModel '{2}'. Check the URL in Source and that it can be downloaded without credentials");
    public static readonly AiDiagnosticDescriptor ModelCacheUnusable = E("AIC5030", "The model cache '{0}' cannot be used: {1}. Set AiModelCacheDirectory (or AIC_MODEL_CACHE) to a writable folder");
    public static readonly AiDiagnosticDescriptor HubResponseInvalid = E("AIC5031", "{0} answered {1} with something that is not a Hugging Face Hub response: {2}. Check that HF_ENDPOINT points at a Hugging Face Hub (default https://huggingface.co)");
    public static readonly AiDiagnosticDescriptor ModelLayoutFailed = E("AIC5032", "Laying out the model files in '{0}' failed: {1}. Check that the folder is writable, or remove it and build again");
    public static readonly AiDiagnosticDescriptor ModelManifestUnreadable = E("AIC5033", "The model manifest '{0}' cannot be read: {1}. Rebuild so the FetchAiModels step writes it again");
    public static readonly AiDiagnosticDescriptor InvalidHfEndpoint = E("AIC5034", "HF_ENDPOINT '{0}' is not an http(s) URL. Set HF_ENDPOINT to the Hub's base URL (e.g. https://huggingface.co) or unset it");

    public static readonly AiDiagnosticDescriptor UnverifiedModelDownload = W("AIC5501", "AiModel '{0}' downloads {1} with AllowUnverified, so any content is accepted and it is downloaded again on every online build. Set Sha256 to pin and cache the content");
    public static readonly AiDiagnosticDescriptor UnpinnedHfRevision = W("AIC5502", "AiModel '{0}' Source '{1}' does not pin a commit, so each online build takes whatever '{2}' points to then (the resolved commit is recorded in the image labels). Pin Source to hf://{3}@<40-hex commit> for reproducible builds");
}
