#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the dashboard's browser test (playwright-core
# drives it; it downloads no browser of its own). Quick when it is there; installs it from
# Debian's packages otherwise (needs root). CHROMIUM_PATH overrides the binary.
set -u
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then echo "chromium: $bin"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: $bin is missing; install Chromium or set CHROMIUM_PATH" >&2
  exit 1
fi
apt-get update -qq >/dev/null 2>&1
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 && [ -x "$bin" ]; then
  echo "chromium: installed $bin"
else
  echo "chromium: could not install Debian's chromium (needs root); or set CHROMIUM_PATH" >&2
  exit 1
fi
