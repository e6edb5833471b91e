# Built by build/standins.sh like the stand-ins, but it stands in for no public image: the smallest base a
# self-contained .NET app that calls the CUDA driver can run on (samples/GpuSmoke). Debian bookworm's glibc
# files only, ~5 MB: the loader, libc, libm, the libdl/libpthread/librt that libcuda.so.1 links, and the
# libstdc++/libgcc_s the .NET runtime links. No shell, no package manager, no CUDA: the NVIDIA runtime
# mounts libcuda.so.1 at run time. build/standins.sh adds the ai.containers.standin* labels.
FROM {{BASE}} AS glibc
# Files copied as files (-L), the merged-/usr links and /lib64's loader link made as Debian has them, so the
# loader's default search path (/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu) finds every library.
RUN set -eu; lib=/usr/lib/x86_64-linux-gnu; \
    mkdir -p /out$lib /out/usr/lib64 /out/etc /out/tmp /out/proc /out/sys /out/dev; \
    for f in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 \
             libstdc++.so.6 libgcc_s.so.1; do cp -L "$lib/$f" "/out$lib/$f"; done; \
    ln -s usr/lib /out/lib; ln -s usr/lib64 /out/lib64; \
    ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /out/usr/lib64/ld-linux-x86-64.so.2; \
    chmod 1777 /out/tmp; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654:app:/home/app:/sbin/nologin\n' >/out/etc/passwd; \
    printf 'root:x:0:\napp:x:1654:\n' >/out/etc/group; \
    dpkg-query -W -f='${Package} ${Version}\n' libc6 libstdc++6 libgcc-s1 >/out/etc/glibc-min.packages

FROM scratch
COPY --from=glibc /out/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
