# STAND-IN for {{REF}} -- Debian busybox-static {{BUSYBOX_VERSION}} (/bin/busybox + applet symlinks,
# ~1 MB), imported from a scratch tar. build/standins.sh adds the ai.containers.standin* labels.
FROM {{BUSYBOX_BASE}}
CMD ["sh"]
