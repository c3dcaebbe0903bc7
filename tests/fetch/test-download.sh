#!/usr/bin/env bash
# tests/fetch/test-download.sh — scripts/download-datasets.sh against a local HTTP server
# (tests/fetch/serve.sh: 127.0.0.1 only, fixture archives in the upstream layouts; nothing is
# downloaded from anywhere else). Checks every converted file against the hand-written
# tests/fetch/expected/, that a re-run uses the kept archives (server stopped), that a dataset
# can be chosen by name, and that bad names and missing files fail with a message.
# Prints "ok - ..." / "FAIL - ..." lines and ends with "N passed, N failed"; exit 0 when none failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
. tests/fetch/serve.sh
work=$(mktemp -d)
trap 'fixture_server_stop; rm -rf "$work"' EXIT
TESTLIB_LOG=$work/cmd.log
. tests/testlib.sh

fixture_server_start "$work" || { fail "fixture server"; finish; }
export PTC_DOWNLOAD_MIRROR=$FIXTURE_URL
out=$work/data
expect "download-datasets.sh fetches and converts every dataset from the mirror" \
    sh scripts/download-datasets.sh "$out"
cp "$work/cmd.log" "$work/first-run.log"
for f in $(cd tests/fetch/expected && find . -type f | sort); do
    f=${f#./}
    if [ ! -f "$out/$f" ]; then
        fail "$f: not written"
    elif cmp -s "tests/fetch/expected/$f" "$out/$f"; then
        ok "$f matches the expected conversion"
    else
        fail "$f differs from tests/fetch/expected/$f: $(diff "tests/fetch/expected/$f" "$out/$f" | head -4 | tr '\n' ' ')"
    fi
done
# every line of every converted file: label<TAB>text, label an index into labels.txt
for tsv in "$out"/*/*.tsv; do
    labels=$(dirname "$tsv")/labels.txt
    n=$(grep -c . "$labels")
    bad=$(awk -F'\t' -v n="$n" 'NF != 2 || $1 !~ /^[0-9]+$/ || $1 >= n || $2 == "" || $2 ~ /^ | $|  /' "$tsv" | wc -l)
    [ "$bad" -eq 0 ] && ok "${tsv#$out/}: label<TAB>text lines, labels < $n" ||
        fail "${tsv#$out/}: $bad malformed lines"
done
if cmp -s "$work/www/huggingface.co/bert-base-uncased/resolve/main/vocab.txt" \
    "$out/models/bert-base-uncased-vocab/vocab.txt"; then ok "vocab.txt lands in models/bert-base-uncased-vocab/"; else fail "vocab.txt not fetched"; fi
grep -q "warning: vocab.txt sha256" "$work/first-run.log" &&
    ok "a vocab.txt that is not the official file is reported" || fail "no sha256 warning for the fixture vocab.txt"
[ ! -e "$out/imdb/aclImdb" ] && [ ! -e "$out/bbc/bbc" ] && ok "unpacked trees removed" || fail "unpacked trees left behind"

# a re-run converts again from the kept archives: nothing is requested (server stopped)
fixture_server_stop
rm "$out/bbc/all.tsv"
expect "a re-run uses the kept archives (server stopped)" sh scripts/download-datasets.sh "$out"
cmp -s tests/fetch/expected/bbc/all.tsv "$out/bbc/all.tsv" && ok "re-run: bbc/all.tsv rewritten the same" ||
    fail "re-run: bbc/all.tsv differs"

# one dataset by name; a missing file on the server; an unknown name
fixture_server_start "$work" || { fail "fixture server restart"; finish; }
export PTC_DOWNLOAD_MIRROR=$FIXTURE_URL
only=$work/only
expect "download-datasets.sh DIR sst2 fetches only SST-2" sh scripts/download-datasets.sh "$only" sst2
[ "$(cd "$only" && ls)" = sst2 ] && ok "only sst2/ written" || fail "written: $(cd "$only" && ls | tr '\n' ' ')"
rm "$work/www/mlg.ucd.ie/files/datasets/bbc-fulltext.zip"
sh scripts/download-datasets.sh "$work/missing" bbc >"$work/cmd.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && grep -q "404" "$work/cmd.log" && [ ! -e "$work/missing/bbc/bbc-fulltext.zip" ] &&
    ok "a missing upstream file fails (exit $rc, no partial archive kept)" ||
    fail "missing upstream file: exit $rc: $(tail -2 "$work/cmd.log" | tr '\n' ' ')"
sh scripts/download-datasets.sh "$work/bad" imdb nosuch >"$work/cmd.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown dataset 'nosuch'" "$work/cmd.log" && [ ! -e "$work/bad" ] &&
    ok "an unknown dataset name is refused before anything is fetched (exit 2)" ||
    fail "unknown name: exit $rc: $(cat "$work/cmd.log" | tr '\n' ' ')"
finish
