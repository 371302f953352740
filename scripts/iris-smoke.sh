#!/usr/bin/env bash
# The IRIS path in one command: build and start IRIS (docker compose; the production starts with
# it), enable every item the requests target, send each of the seed's requests through IoP's REST
# API (scripts/smoke_requests.py with scripts/iris-smoke-requests.json), save the answers, the drawn
# PNGs and the event log, then `docker compose down`. Needs Docker with compose and the network (the
# items download their models). Outputs go to test-artifacts/iris-smoke/; the exit status is 0 only
# when every request was answered.
#   bash scripts/iris-smoke.sh                   HF_TOKEN=hf_... also tests the HuggingFace API item
#   bash scripts/iris-smoke.sh --requests-only   only the requests, against $IOP_URL: any runtime
#                                                speaking IoP's REST API (CI runs it on the local host)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
export IOP_URL=${IOP_URL:-http://127.0.0.1:52795} IOP_USERNAME=${IOP_USERNAME:-SuperUser}
export IOP_PASSWORD=${IOP_PASSWORD:-SYS} IOP_NAMESPACE=${IOP_NAMESPACE:-IRISAPP}
out=${SMOKE_OUT:-test-artifacts/iris-smoke}
requests=${SMOKE_REQUESTS:-scripts/iris-smoke-requests.json}

if [ "${1:-}" = --requests-only ]; then
  exec "$python" scripts/smoke_requests.py --requests "$requests" --out "$out"
fi

if ! command -v docker >/dev/null 2>&1; then
  echo "iris-smoke: no 'docker' command here; this check needs Docker with compose (without it:" \
       "--requests-only against a running IoP REST API)." >&2
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  echo "iris-smoke: 'docker' cannot reach a Docker engine (is it running, may this user use it?)." >&2
  exit 2
fi
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
mkdir -p "$out"

trap '"${compose[@]}" down' EXIT
"${compose[@]}" up -d --build

# The local items are disabled in settings.py (as in the seed): enable each one the requests target,
# with three lines piped into `iris session` (-T: no terminal; the loop reads no input of its own).
mapfile -t items < <("$python" -c 'import json, sys
print("\n".join(sorted({r["target"] for r in json.load(open(sys.argv[1]))})))' "$requests")
echo "iris-smoke: waiting for IRIS's REST API at $IOP_URL"
for _ in $(seq 1 120); do
  curl -fsS --max-time 10 -u "$IOP_USERNAME:$IOP_PASSWORD" "$IOP_URL/api/iop/status?namespace=$IOP_NAMESPACE" \
    >/dev/null 2>&1 && break
  sleep 5
done
for item in "${items[@]}"; do
  echo "iris-smoke: enabling $item"
  printf '%s\n' "set sc = ##class(Ens.Director).EnableConfigItem(\"$item\",1,1)" \
    "if 'sc { write !, \$system.Status.GetErrorText(sc), ! do \$system.Process.Terminate(, 1) }" halt \
    | "${compose[@]}" exec -T iris iris session IRIS -U IRISAPP >/dev/null
done

status=0
"$python" scripts/smoke_requests.py --requests "$requests" --out "$out" || status=$?
curl -sS -u "$IOP_USERNAME:$IOP_PASSWORD" "$IOP_URL/api/iop/log?top=200&namespace=$IOP_NAMESPACE" \
  >"$out/log.json" || true
if [ "$status" -ne 0 ]; then
  echo "iris-smoke: $status request(s) failed; answers and the log in $out/" >&2
  exit 1
fi
echo "iris-smoke: every request answered; answers, images and the log in $out/"
