#!/usr/bin/env bash
# Every check and every test, as CI runs them: formatting, lints, then the
# whole test suite (storage tests on SQLite and on PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/postgres.sh
bash scripts/packages.sh
bash scripts/mailstack.sh start
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
cargo test --doc
