# tests/fetch/serve.sh — sourced by the fetch and tour tests: builds the fixture archives
# (make_fixtures.py) and serves them over HTTP on 127.0.0.1 only, on a free port.
#
#   fixture_server_start WORKDIR   sets FIXTURE_URL (http://127.0.0.1:PORT) and FIXTURE_PID;
#                                  returns 1 when the server does not come up within 10 s
#   fixture_server_stop            stops it (the caller's trap should call this)
# The server's request log is WORKDIR/http.log.

fixture_server_start() {
    local work=$1 here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    mkdir -p "$work/www"
    python3 "$here/make_fixtures.py" "$work/www" || return 1
    # truncate the log here, not in the background job's redirection: a restart must not read
    # the previous server's port before the new job has started
    : >"$work/http.log"
    python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/www" >>"$work/http.log" 2>&1 &
    FIXTURE_PID=$!
    local port="" i
    for i in $(seq 100); do
        port=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$work/http.log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "fixture server did not start: $(cat "$work/http.log")" >&2; return 1; }
    FIXTURE_URL="http://127.0.0.1:$port"
    # never through a proxy
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
    export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
}

fixture_server_stop() {
    if [ -n "${FIXTURE_PID:-}" ]; then
        kill "$FIXTURE_PID" 2>/dev/null
        wait "$FIXTURE_PID" 2>/dev/null
        FIXTURE_PID=""
    fi
}
