#!/usr/bin/env bash
# The IRIS path in one command: build and start IRIS (docker-compose), drive it with the real
# `iop` CLI in remote mode against IRIS's own REST API (/api/iop): status, start, every item
# enabled, `--test` with each of the seed's requests (scripts/iris-smoke-requests.json; the image
# tasks' drawn PNGs are saved), the log; then `docker-compose down`. Needs Docker with compose and
# the network (the items download their models). Outputs go to test-artifacts/iris-smoke/.
#   bash scripts/iris-smoke.sh          HF_TOKEN=hf_... also tests the HuggingFace API item
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1; then
  echo "iris-smoke: no 'docker' command here; this check needs Docker with compose (it cannot run in our CI)." >&2
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  echo "iris-smoke: 'docker' cannot reach a Docker engine (is it running, may this user use it?)." >&2
  exit 2
fi
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
iop=${IOP:-$(command -v iop || echo .venv/bin/iop)}
python=${PYTHON:-$(command -v python3)}
export IOP_URL=${IOP_URL:-http://127.0.0.1:52795} IOP_USERNAME=${IOP_USERNAME:-SuperUser}
export IOP_PASSWORD=${IOP_PASSWORD:-SYS} IOP_NAMESPACE=${IOP_NAMESPACE:-IRISAPP}
out=test-artifacts/iris-smoke
mkdir -p "$out"
failures=0

trap '"${compose[@]}" down' EXIT
"${compose[@]}" up -d --build

echo "iris-smoke: waiting for IRIS at $IOP_URL"
for _ in $(seq 1 120); do
  "$iop" --status >/dev/null 2>&1 && break
  sleep 5
done
"$iop" --status
"$iop" --start iris.Production --detach

# The local items are disabled in settings.py (as in the seed); enable each one for the test.
"$python" -c 'import json,sys; print("\n".join(sorted({r["target"] for r in json.load(open(sys.argv[1]))})))' \
  scripts/iris-smoke-requests.json | while read -r item; do
  "${compose[@]}" exec -T iris iris session IRIS -U IRISAPP \
    "##class(Ens.Director).EnableConfigItem(\"$item\",1,1)" >/dev/null
done

count=$("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' scripts/iris-smoke-requests.json)
for index in $(seq 0 $((count - 1))); do
  IFS=$'\t' read -r target classname png needs_token < <("$python" - "$index" <<'PY'
import json, sys
r = json.load(open("scripts/iris-smoke-requests.json"))[int(sys.argv[1])]
print("\t".join([r["target"], r["classname"], r.get("png", "-"), str(r.get("needs_token", False))]))
PY
  )
  if [ "$needs_token" = True ] && [ -z "${HF_TOKEN:-}" ]; then
    echo "iris-smoke: $target skipped (set HF_TOKEN to test the hosted API)"; continue
  fi
  body=$("$python" - "$index" <<'PY'
import json, os, sys
r = json.load(open("scripts/iris-smoke-requests.json"))[int(sys.argv[1])]
if r.get("needs_token"):
    r["body"]["api_key"] = os.environ["HF_TOKEN"]
print(json.dumps(r["body"]))
PY
  )
  echo "iris-smoke: $classname -> $target"
  answer="$out/answer-$index.txt"
  "$iop" --test "$target" --classname "$classname" --body "$body" | tee "$answer" | head -c 2000; echo
  if grep -q '^Error:' "$answer"; then failures=$((failures + 1)); continue; fi
  if [ "$png" != "-" ]; then
    "$python" - "$answer" "$out/$png" <<'PY' || failures=$((failures + 1))
import base64, json, sys
text = open(sys.argv[1]).read()
body = json.loads(text[text.index("{"):])
png = body.get("image_png_base64") or body.get("output", {}).get("image_png_base64")
if not png:
    sys.exit(f"no image_png_base64 in the answer {sys.argv[1]}")
open(sys.argv[2], "wb").write(base64.b64decode(png))
print(f"drawn image saved to {sys.argv[2]}")
PY
  fi
done

"$iop" --log 50 | tee "$out/log.txt"
if [ "$failures" -gt 0 ]; then
  echo "iris-smoke: $failures request(s) failed; answers in $out/" >&2
  exit 1
fi
echo "iris-smoke: every request answered; answers and images in $out/"
