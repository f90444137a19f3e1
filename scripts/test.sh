#!/usr/bin/env bash
# The whole test suite (README's test command). Numerical tests run in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --release --all-targets "$@"
