# The AgentSnapshots silo (and CLI) image. Build: docker build -t agentsnapshots .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Silo/Silo.csproj -c Release -o /app/silo \
 && dotnet publish src/Cli/Cli.csproj -c Release -o /app/cli

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
