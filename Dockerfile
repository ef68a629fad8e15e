# The AgentSnapshots silo (and CLI) image. Build: docker build -t agentsnapshots .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Silo/Silo.csproj -c Release -o /app/silo \
 && dotnet publish src/Cli/Cli.csproj -c Release -o /app/cli

# The workspace agent alone (the CLI published as a native executable, no .NET runtime): a slim image for the
# sidecar pattern, or a stage to copy the executable from into a sandbox image.
#   docker build --target agent -t agentsnapshots-agent .
#   COPY --from=agentsnapshots-agent /usr/local/bin/agentsnapshots /usr/local/bin/agentsnapshots   (in a sandbox's Dockerfile)
# Native AOT links with clang and needs zlib's headers; the stages are built only when asked for (BuildKit), so the
# default build below does not pay for them.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS agent-build
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Cli/Cli.csproj -c Release -r linux-x64 -p:AgentSnapshotsMigrate=false -o /app/agent

# runtime-deps: libc, OpenSSL (the agent hashes with it) and CA certificates for https:// silos; no .NET runtime.
# It runs as root, as the sandbox's files usually are: a restore rewrites them.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS agent
COPY --from=agent-build /app/agent/agentsnapshots /usr/local/bin/agentsnapshots
ENTRYPOINT ["/usr/local/bin/agentsnapshots"]
CMD ["agent", "--help"]

# The silo (and CLI) image: the last stage, what a plain docker build makes.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
# git is not needed by the silo (it writes git objects itself); curl serves the compose health check; openssl makes
# a cluster's throwaway CA and certificates (scripts/cluster-certificates.sh, compose's certs service).
RUN apt-get update && apt-get install -y --no-install-recommends curl openssl && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
COPY scripts/cluster-certificates.sh /app/scripts/cluster-certificates.sh
WORKDIR /data
# The HTTP API (and health, OpenAPI) on every interface: the silo then needs at least one tenant, e.g.
# -e Auth__Tenants__agents__KeySha256=<sha256 of the key> -e Auth__Tenants__agents__WorkspaceRoots__0=/workspaces
# The silo port (and the Orleans gateway, which one node opens only when Orleans__GatewayPort is set) stay inside:
# in a cluster they are mutual TLS between containers (Orleans__Tls__*), never published.
ENV Snapshots__DataDir=/data \
    Orleans__SiloPort=11111 \
    Http__Port=8080 \
    Http__Host=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/silo/AgentSnapshots.Silo.dll"]
