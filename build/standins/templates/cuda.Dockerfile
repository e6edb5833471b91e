# STAND-IN for {{REF}} -- Debian bookworm, NO CUDA inside.
# Same ENV/labels/paths contract as the real nvidia/cuda image (entrypoint, /usr/local/cuda,
# ld.so.conf for /usr/local/nvidia). build/standins.sh adds the ai.containers.standin* labels.
FROM {{BASE}}
LABEL maintainer="NVIDIA CORPORATION <cudatools@nvidia.com>" \
      org.opencontainers.image.ref.name="ubuntu" \
      org.opencontainers.image.version="{{UBUNTU}}"
ENV NVARCH=x86_64 \
    NVIDIA_REQUIRE_CUDA="cuda>={{CUDA_MAJOR_MINOR}}" \
    CUDA_VERSION={{CUDA_VERSION}}
COPY nvidia_entrypoint.sh /opt/nvidia/nvidia_entrypoint.sh
RUN mkdir -p /opt/nvidia/entrypoint.d /usr/local/cuda-{{CUDA_MAJOR_MINOR}}/bin /usr/local/cuda-{{CUDA_MAJOR_MINOR}}/lib64 \
 && ln -sfn cuda-{{CUDA_MAJOR_MINOR}} /usr/local/cuda \
 && printf '/usr/local/nvidia/lib\n/usr/local/nvidia/lib64\n' >/etc/ld.so.conf.d/nvidia.conf \
 && printf 'STAND-IN for {{REF}}: Debian bookworm, this image contains NO CUDA.\n' >/usr/local/cuda/STANDIN-NO-CUDA.txt \
 && chmod 755 /opt/nvidia/nvidia_entrypoint.sh
ENV PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    NVIDIA_PRODUCT_NAME=CUDA
{{EXTRA_ENV}}
ENTRYPOINT ["/opt/nvidia/nvidia_entrypoint.sh"]
CMD ["/bin/bash"]
