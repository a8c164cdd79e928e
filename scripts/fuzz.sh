#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the code that reads
# untrusted input: inbound email, serials and CHK codes, chat text, the import
# file. Usage:
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Default: 60 s for each of the four targets. Seeds come from the project's
# own fixtures (tests/fixtures/mail, the demo import, typed serials); the
# corpus grows in fuzz/corpus/<target> (not committed). A crash stops the run
# with the input in fuzz/artifacts/<target>/; turn it into a regression test
# (tests/it/fuzz_regressions.rs) before fixing it.
#
# The machine's one toolchain is stable; libFuzzer's instrumentation flags are
# nightly-only, so the build runs with RUSTC_BOOTSTRAP=1 and without a
# sanitizer (Rust code is memory-safe; the C parts are not in these paths).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(mail_parse serial_chk chat_text import_json)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked --version 0.13.2
fi

seed() {
    local dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    case "$1" in
        mail_parse)
            cp tests/fixtures/mail/*.eml "$dir"/ ;;
        serial_chk)
            printf '%s' 'K2305N0012345' >"$dir/plain"
            printf '%s' 'k2305-n001-2345 chk 482' >"$dir/typed"
            printf '%s' 'SN saya K2305 N001 2345 statusnya apa ya? CHK: 007' >"$dir/sentence"
            printf '%s' '482' >"$dir/chk" ;;
        chat_text)
            printf '%s' '/status K2305N0012345 482' >"$dir/status"
            printf '%s' 'kak, hadiahnya kapan dikirim?' >"$dir/faq-id"
            printf '%s' '<b>hi</b> @everyone **bold** [x](https://example.test)' >"$dir/markup"
            printf '%s' 'lang:en' >"$dir/button" ;;
        import_json)
            cp src/import/demo.json "$dir/demo.json" ;;
    esac
}

export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
    seed "$t"
    echo "fuzz: $t for ${seconds}s" >&2
    status=0
    cargo fuzz run -O --sanitizer none "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
        >"fuzz/last-$t.log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ +DONE|stat::(number_of_executed_units|peak_rss_mb|new_units_added)|==[0-9]+== ERROR|SUMMARY)' \
        "fuzz/last-$t.log" >&2 || true
    if [ "$status" -ne 0 ]; then
        tail -n 30 "fuzz/last-$t.log" >&2
        echo "fuzz: $t failed (exit $status); see fuzz/last-$t.log and fuzz/artifacts/$t/" >&2
        exit "$status"
    fi
done
