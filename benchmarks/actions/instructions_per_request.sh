#!/bin/bash
# Instructions per request of the observability benchmark's app, counted by callgrind
# (valgrind): deterministic where requests/s under wrk move by a few % from run to
# run, so that a change of 1 % in what a request costs shows.
#
#   benchmarks/actions/instructions_per_request.sh [ENV=VALUE ...]
#   e.g. ... NITRO_OBSERVABILITY=logs,metrics,traces NITRO_TRACES_SAMPLE=0 NITRO_LOG_FORMAT=json
#
# One uvicorn process of bench_observability.py's app (the memory counter; BENCH_APP=sqlite
# and NITRO_DATABASE_URL for SQL) runs under callgrind; 400 requests warm it up, the
# counts are zeroed, 2,000 sequential POSTs to the action are counted, and the user-space
# instructions of all its threads per request are printed. With traces sampled, set
# OTEL_EXPORTER_OTLP_ENDPOINT to a receiver (bench_observability.py --sink PORT): under
# callgrind a process serves about 50 requests/s, so each export carries few spans and
# its fixed cost weighs far more per request than at full speed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-$HERE/../../.venv/bin/python}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
PORT=$("$PYTHON" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
env -u NITRO_OBSERVABILITY PYTHONHASHSEED=0 "$@" valgrind --tool=callgrind \
    --callgrind-out-file="$OUT/cg.%p" --dump-instr=no \
    "$PYTHON" -m uvicorn bench_observability:create_app --factory --app-dir "$HERE" \
    --host 127.0.0.1 --port "$PORT" --workers 1 --log-level warning --no-access-log \
    >/dev/null 2>"$OUT/stderr" &
SERVER=$!
post() {  # post N: N sequential POSTs over one connection
    "$PYTHON" - "$PORT" "$1" <<'PY'
import http.client, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(600):  # (valgrind starts the app slowly)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("POST", "/counter/main/increment?amount=1", body=b"")
        connection.getresponse().read()
        break
    except OSError:
        time.sleep(0.5)
for _ in range(count):
    connection.request("POST", "/counter/main/increment?amount=1", body=b"",
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
PY
}
post 400
callgrind_control --zero "$SERVER" >/dev/null 2>&1
post 2000
callgrind_control --dump "$SERVER" >/dev/null 2>&1
sleep 1
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
DUMP=$(ls "$OUT"/cg.*.1)
awk '/^summary:/ { printf "%.0f instructions per request (%s)\n", $2 / 2000, "'"$*"'" }' "$DUMP"
