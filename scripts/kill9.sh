#!/usr/bin/env bash
# The long SIGKILL run: `serve` on PostgreSQL killed at random points 100 times
# while it ingests 1,000 corrected invoices from the real mail stack, then left
# to finish; checks that every email was acted on exactly once and every
# resubmission confirmed (tests/it/replicas.rs,
# killed_again_and_again_mid_ingest_acts_on_every_email_once; CI runs a short
# version of the same test). Usage: bash scripts/kill9.sh [EMAILS] [CYCLES] [MAX_LIFE_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/postgres.sh
bash scripts/packages.sh
bash scripts/mailstack.sh start
# Each life lasts 0.3-1 s, so the kills land while the mailbox is being read.
REDEEMDESK_KILL9_EMAILS="${1:-1000}" REDEEMDESK_KILL9_CYCLES="${2:-100}" \
    REDEEMDESK_KILL9_MAX_LIFE_MS="${3:-1000}" \
    cargo test --test it replicas::killed_again_and_again_mid_ingest_acts_on_every_email_once -- --nocapture
