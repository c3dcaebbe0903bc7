# tests/testlib.sh — sourced by the shell tests (tests/fetch/, tests/tour/, tests/install/):
# TAP-like lines and the "N passed, N failed" total that scripts/run-tests.sh adds up.
#   ok LABEL / fail LABEL          count one check and print "ok - LABEL" / "FAIL - LABEL"
#   expect LABEL COMMAND...        ok when the command exits 0, else fail with its last lines;
#                                  its output stays in $TESTLIB_LOG (set it to a scratch file)
#   finish                         print the total and exit 0 when nothing failed, else 1
passed=0 failed=0
TESTLIB_LOG=${TESTLIB_LOG:-/dev/null}
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
expect() {
    local label=$1; shift
    if "$@" >"$TESTLIB_LOG" 2>&1; then ok "$label"; else fail "$label: $(tail -3 "$TESTLIB_LOG" | tr '\n' ' ')"; fi
}
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
