# STAND-IN for {{REF}} -- Debian bookworm + this machine's .NET {{DOTNET_VERSION}} runtime
# (frameworks: {{DOTNET_FRAMEWORKS}}); same ENV/user contract as the real image (APP_UID 1654,
# user "app", port 8080, /usr/share/dotnet, /usr/bin/dotnet). Real 10.0 images are Ubuntu 24.04.
# build/standins.sh adds the ai.containers.standin* labels.
FROM {{BASE}}
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libicu72 libssl3 tzdata zlib1g libstdc++6 libgcc-s1 \
 && rm -rf /var/lib/apt/lists/*
ENV APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true
RUN groupadd --system --gid=$APP_UID app \
 && useradd --no-log-init --system --uid=$APP_UID --gid=app --create-home app
ENV DOTNET_VERSION={{DOTNET_VERSION}}
{{EXTRA_ENV}}
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_ROOT=/usr/share/dotnet \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/dotnet
