#!/usr/bin/env bash
# A Java runtime for the Spark tests (PySpark runs on the JVM): installs Debian's default headless JRE when
# `java` is missing; as root on Debian only. Prints nothing on stdout; on failure the reason on stderr, exit 1.
set -u -o pipefail
command -v java >/dev/null 2>&1 && exit 0
fail() { echo "java.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "Java is missing and installing it needs root (apt-get install default-jre-headless)"
command -v apt-get >/dev/null 2>&1 || fail "Java is missing and apt-get is not available (not Debian?)"
export DEBIAN_FRONTEND=noninteractive
echo "java.sh: installing a Java runtime from Debian's packages" >&2
apt-get update >&2 || fail "apt-get update failed (no network or no reachable mirror?)"
apt-get install -y --no-install-recommends default-jre-headless >&2 || fail "apt-get install default-jre-headless failed"
command -v java >/dev/null 2>&1 || fail "default-jre-headless installed no java"
