# The AgentSnapshots silo (and CLI) image. Build: docker build -t agentsnapshots .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Silo/Silo.csproj -c Release -o /app/silo \
 && dotnet publish src/Cli/Cli.csproj -c Release -o /app/cli

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# git is not needed by the silo (it writes git objects itself); curl serves the compose health check.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
WORKDIR /data
# The HTTP API (and health, OpenAPI) on every interface: the silo then needs at least one tenant, e.g.
# -e Auth__Tenants__agents__KeySha256=<sha256 of the key> -e Auth__Tenants__agents__WorkspaceRoots__0=/workspaces
ENV Snapshots__DataDir=/data \
    Orleans__SiloPort=11111 \
    Orleans__GatewayPort=30000 \
    Http__Port=8080 \
    Http__Host=0.0.0.0
EXPOSE 11111 30000 8080
ENTRYPOINT ["dotnet", "/app/silo/AgentSnapshots.Silo.dll"]
