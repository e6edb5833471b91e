namespace AiContainers.Core.Oci;

/// <summary>The media types of both formats, and the mapping of layer types between them.</summary>
public static class OciMediaTypes
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerTar = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciForeignLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

    public static string Manifest(ImageFormat format) => format == ImageFormat.Oci ? OciManifest : DockerManifest;
    public static string Index(ImageFormat format) => format == ImageFormat.Oci ? OciIndex : DockerManifestList;
    public static string Config(ImageFormat format) => format == ImageFormat.Oci ? OciConfig : DockerConfig;

    /// <summary>The layer media type for a blob written with <paramref name="compression"/>.</summary>
    public static string Layer(ImageFormat format, LayerCompression compression) => (format, compression) switch
    {
        (ImageFormat.Oci, LayerCompression.None) => OciLayerTar,
        (ImageFormat.Oci, _) => OciLayerGzip,
        (_, LayerCompression.None) => DockerLayerTar,
        _ => DockerLayerGzip,
    };

    /// <summary>
    /// The same layer in the other format's vocabulary: a base pulled as Docker schema 2 gets OCI layer types in an
    /// OCI manifest and the other way round. Types without an equivalent (zstd in Docker) are kept as they are.
    /// </summary>
    public static string MapLayer(string mediaType, ImageFormat format) => (format, mediaType) switch
    {
        (ImageFormat.Oci, DockerLayerGzip) => OciLayerGzip,
        (ImageFormat.Oci, DockerLayerTar) => OciLayerTar,
        (ImageFormat.Oci, DockerForeignLayerGzip) => OciForeignLayerGzip,
        (ImageFormat.Docker, OciLayerGzip) => DockerLayerGzip,
        (ImageFormat.Docker, OciLayerTar) => DockerLayerTar,
        (ImageFormat.Docker, OciForeignLayerGzip) => DockerForeignLayerGzip,
        _ => mediaType,
    };

    public static bool IsGzipLayer(string mediaType) => mediaType is DockerLayerGzip or OciLayerGzip or DockerForeignLayerGzip or OciForeignLayerGzip;
}
