#!/usr/bin/env bash
# Installs what building Clairaut needs on a fresh Debian/Ubuntu machine: m4 (GMP's build needs
# it; rug builds GMP and MPFR from source, cached in ~/.cache/gmp-mpfr-sys) and a C compiler.
# Rust itself (cargo ≥ 1.85) must already be installed.
set -euo pipefail
need=()
command -v m4 >/dev/null 2>&1 || need+=(m4)
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v make >/dev/null 2>&1 || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "setup: cargo not found; install Rust from https://rustup.rs" >&2; exit 1; }
