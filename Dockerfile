# LogAnalytics worker image: `loganalytics run` with the HTTP surface on port 8080.
#   docker build -t loganalytics .
#   docker run --rm -p 8080:8080 -e LOGANALYTICS_Kafka__BootstrapServers=kafka:9092 -v la-data:/var/lib/loganalytics loganalytics
# Probes (HTTP, JSON answers): liveness GET /healthz (consume and verdict loops made progress within their deadlines),
# readiness GET /readyz (DuckDB open and migrated, partitions assigned, first evaluation done). The runtime image has no
# curl, so there is no Docker HEALTHCHECK: orchestrators probe over HTTP (deploy/kubernetes/deployment.yaml).
# The publish command below is the one tests/LogAnalytics.Tests/Deploy/DockerfileTests.cs runs and then starts.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/LogAnalytics.Cli/LogAnalytics.Cli.csproj -c Release -o /app/publish

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app/publish .
# The DuckDB file lives on a volume owned by the image's non-root user ($APP_UID, "app", from the .NET base image).
RUN mkdir -p /var/lib/loganalytics && chown "$APP_UID" /var/lib/loganalytics
VOLUME /var/lib/loganalytics
ENV LOGANALYTICS_Storage__DatabasePath=/var/lib/loganalytics/loganalytics.duckdb \
    LOGANALYTICS_Http__Urls=http://0.0.0.0:8080
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["/app/loganalytics"]
CMD ["run"]
