# STAND-IN for {{REF}} -- Debian bookworm minbase with the Ubuntu image's labels and CMD.
# build/standins.sh adds the ai.containers.standin* labels.
FROM {{BASE}}
LABEL org.opencontainers.image.ref.name="ubuntu" \
      org.opencontainers.image.version="{{UBUNTU}}"
CMD ["/bin/bash"]
