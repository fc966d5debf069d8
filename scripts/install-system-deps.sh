#!/usr/bin/env bash
# Debian packages the test suite needs and that PyPI cannot provide: Chromium for the browser
# tests of the HTML report. Go, Java and Maven come with this kind of machine.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
for tool in go java mvn; do
  command -v "$tool" >/dev/null || { echo "install-system-deps: $tool is required" >&2; exit 1; }
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
