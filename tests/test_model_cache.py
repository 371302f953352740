"""Models download once: MLOperation with ``model_url`` against a local hub (``HF_ENDPOINT``)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import bo
from mlcore.model_cache import (
    InvalidModelUrl,
    ModelDownloadError,
    ModelNotAvailableOffline,
    ModelNotFound,
    NoUsableWeights,
    RemoteFile,
    ensure_model,
    parse_model_url,
    select_files,
)
from mlcore.model_cache.progress import FileProgress
from support.components import call, started
from support.hub_layouts import TINY_BERT, TINY_GPT2, UNNEEDED_FILES
from support.hub_server import HubRepo

NEEDED_GPT2 = {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}


def _gpt2_settings(model_path, *extra):
    return "\n".join([f"model_url=https://huggingface.co/{TINY_GPT2}", "name=gpt2", f"path={model_path}",
                      "task=text-generation", *extra])


def _generate(op):
    response = call(op, "msg.MLRequest", {"text_inputs": "George Washington lived", "max_new_tokens": 3})
    assert response.output[0]["generated_text"].startswith("George Washington lived")


def _infos(op):
    return op.log_records.messages(logging.INFO)


def _use_small_chunks(monkeypatch):
    """Tiny files arrive in one 10 MB chunk; small chunks let a cut leave bytes on disk, as a big file does."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1024)


# --- downloads through MLOperation --------------------------------------------------------------------------------

def test_first_start_downloads_only_what_the_pipeline_needs(hub, tmp_path):
    op = started(bo.MLOperation, _gpt2_settings(tmp_path))
    _generate(op)
    requested = hub.requested_files()
    assert set(requested) == NEEDED_GPT2 <= {p.name for p in (tmp_path / "gpt2").iterdir()}
    assert all(count == 1 for count in requested.values())
    assert not set(requested) & set(UNNEEDED_FILES), "TF/Flax/ONNX/duplicate weights must never be requested"
    assert not (tmp_path / "gpt2.incomplete").exists()
    infos = _infos(op)
    assert any("5 needed" in m and "safetensors weights" in m and "11 left on the hub" in m for m in infos)
    assert any("downloaded model.safetensors" in m and "%" in m and "/s" in m for m in infos)
    assert any("download complete" in m for m in infos)


def test_second_start_makes_no_request_at_all(hub, tmp_path):
    started(bo.MLOperation, _gpt2_settings(tmp_path))
    hub.reset_counts()
    op = started(bo.MLOperation, _gpt2_settings(tmp_path))
    _generate(op)
    assert hub.requests == []
    assert any("nothing to download" in m for m in _infos(op))


def test_a_deleted_file_is_fetched_again_and_only_it(hub, tmp_path):
    started(bo.MLOperation, _gpt2_settings(tmp_path))
    (tmp_path / "gpt2" / "tokenizer.json").unlink()
    hub.reset_counts()
    op = started(bo.MLOperation, _gpt2_settings(tmp_path))
    _generate(op)
    assert [r.path.rsplit("/", 1)[-1] for r in hub.requests] == ["tokenizer.json"]
    assert any("missing" in m and "tokenizer.json" in m for m in _infos(op))


def test_a_changed_file_is_kept_and_reported(hub, tmp_path):
    started(bo.MLOperation, _gpt2_settings(tmp_path))
    readme = tmp_path / "gpt2" / "generation_config.json"
    readme.write_text(readme.read_text().replace("}", ', "max_new_tokens": 4}'))
    hub.reset_counts()
    op = started(bo.MLOperation, _gpt2_settings(tmp_path))
    assert hub.requests == [] and "max_new_tokens" in readme.read_text()
    assert any("generation_config.json differ" in m and "kept" in m for m in _infos(op))


def test_a_dropped_connection_resumes_with_a_range_request(hub, tmp_path, monkeypatch):
    _use_small_chunks(monkeypatch)
    size = len(hub.state.repos[TINY_GPT2].files["model.safetensors"])
    hub.cut_once(TINY_GPT2, "model.safetensors", after_bytes=size // 3)
    op = started(bo.MLOperation, _gpt2_settings(tmp_path))
    _generate(op)
    gets = [r for r in hub.file_requests("GET") if r.path.endswith("/model.safetensors")]
    assert len(gets) == 2 and gets[0].range is None
    assert gets[1].range.startswith("bytes=") and int(gets[1].range[6:].rstrip("-")) > 0
    assert hub.bytes_sent < hub.state.repos[TINY_GPT2].total_bytes  # nothing fetched twice over


def test_an_interrupted_download_resumes_at_next_start_and_never_leaves_a_half_model(hub, tmp_path, monkeypatch):
    _use_small_chunks(monkeypatch)
    size = len(hub.state.repos[TINY_GPT2].files["model.safetensors"])
    hub.cut_once(TINY_GPT2, "model.safetensors", after_bytes=size // 2, then_fail=1)
    with pytest.raises(ModelDownloadError, match="model.safetensors"):
        started(bo.MLOperation, _gpt2_settings(tmp_path))
    assert not (tmp_path / "gpt2").exists(), "the final folder name must never hold a half-written model"
    assert (tmp_path / "gpt2.incomplete").is_dir()

    hub.reset_counts()
    op = started(bo.MLOperation, _gpt2_settings(tmp_path))
    _generate(op)
    weights = [r for r in hub.file_requests("GET") if r.path.endswith("/model.safetensors")]
    assert len(weights) == 1 and int(weights[0].range[6:].rstrip("-")) >= size // 4
    assert hub.requested_files()["config.json"] == 0, "files completed before the interruption are kept"
    assert not (tmp_path / "gpt2.incomplete").exists()


def test_offline_with_a_complete_folder_loads_it_and_says_so(hub, tmp_path, monkeypatch):
    started(bo.MLOperation, _gpt2_settings(tmp_path))
    hub.reset_counts()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    op = started(bo.MLOperation, _gpt2_settings(tmp_path))
    _generate(op)
    assert hub.requests == []
    assert any("offline mode" in m for m in _infos(op))


def test_offline_with_nothing_there_fails_the_item_with_a_clear_error(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailableOffline, match="HF_HUB_OFFLINE"):
        started(bo.MLOperation, _gpt2_settings(tmp_path))
    assert hub.requests == []


def test_offline_with_a_missing_file_names_it(hub, tmp_path, monkeypatch):
    started(bo.MLOperation, _gpt2_settings(tmp_path))
    (tmp_path / "gpt2" / "config.json").unlink()
    monkeypatch.setenv("HF_HUB_OFFLINE", "true")
    with pytest.raises(ModelNotAvailableOffline, match="config.json"):
        ensure_model(TINY_GPT2, tmp_path / "gpt2")


def test_a_gated_model_needs_hf_token_which_is_sent_and_never_logged(hub, tmp_path, monkeypatch, tiny_bert_folder):
    secret = "hf_secret_token_123"
    hub.add(HubRepo.from_folder("gated/tiny-bert", tiny_bert_folder, token=secret))
    settings = f"model_url=gated/tiny-bert\nname=bert\npath={tmp_path}\ntask=fill-mask"
    with pytest.raises(ModelNotFound, match="HF_TOKEN"):
        started(bo.MLOperation, settings)
    monkeypatch.setenv("HF_TOKEN", secret)
    op = started(bo.MLOperation, settings)
    assert call(op, "msg.MLRequest", {"inputs": "lived in [MASK]."}).output
    assert all(r.authorization == f"Bearer {secret}" for r in hub.requests if "gated" in r.path and r.authorization)
    assert not any(secret in m for m in op.log_records.messages())


def test_revision_setting_pins_a_commit_and_an_unknown_one_is_named(hub, tmp_path):
    commit = hub.state.repos[TINY_BERT].commit
    op = started(bo.MLOperation, f"model_url={TINY_BERT}\nrevision={commit}\npath={tmp_path}\ntask=fill-mask")
    assert op.name == "tiny-bert"  # the folder name defaults to the repository's name
    assert (tmp_path / "tiny-bert" / "model.safetensors").is_file()
    with pytest.raises(ModelNotFound, match="v9"):
        ensure_model(TINY_BERT, tmp_path / "other", revision="v9")
    assert not (tmp_path / "other").exists()


def test_a_model_copied_by_hand_or_fine_tuned_gets_only_its_missing_files(hub, tmp_path, tiny_gpt2):
    import shutil

    shutil.copytree(tiny_gpt2, tmp_path / "gpt2")
    (tmp_path / "gpt2" / "generation_config.json").unlink()
    (tmp_path / "gpt2" / "model.safetensors").unlink()
    tuned = b"fine-tuned weights of another size"
    (tmp_path / "gpt2" / "pytorch_model.bin").write_bytes(tuned)  # its own weights, in another format
    outcome = ensure_model(f"https://huggingface.co/{TINY_GPT2}", tmp_path / "gpt2")
    assert outcome.fetched == ["generation_config.json"]
    hub.reset_counts()
    assert ensure_model(TINY_GPT2, tmp_path / "gpt2").source == "cache" and hub.requests == []
    assert (tmp_path / "gpt2" / "pytorch_model.bin").read_bytes() == tuned
    assert not (tmp_path / "gpt2" / "model.safetensors").exists()


# --- units: URLs, file choice, progress pacing ----------------------------------------------------------------------

@pytest.mark.parametrize(("url", "repo_id", "revision"), [
    ("https://huggingface.co/gpt2", "gpt2", None),
    ("https://huggingface.co/facebook/detr-resnet-50-panoptic/", "facebook/detr-resnet-50-panoptic", None),
    ("https://huggingface.co/Jean-Baptiste/camembert-ner/tree/v1.0", "Jean-Baptiste/camembert-ner", "v1.0"),
    ("bert-base-uncased", "bert-base-uncased", None),
    ("  openai-community/gpt2 ", "openai-community/gpt2", None),
])
def test_model_url_forms(url, repo_id, revision):
    ref = parse_model_url(url)
    assert (ref.repo_id, ref.revision) == (repo_id, revision)


@pytest.mark.parametrize("url", ["", "https://huggingface.co/datasets/squad", "ftp://x/y", "a/b/c", "../etc"])
def test_bad_model_urls_are_refused(url):
    with pytest.raises(InvalidModelUrl):
        parse_model_url(url)


def _names(*names):
    return [RemoteFile(n, size=10) for n in names]


def test_pytorch_weights_are_chosen_only_without_safetensors():
    gpt2_like = _names("config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack",
                       "rust_model.ot", "onnx/decoder_model.onnx", "64-8bits.tflite", "vocab.json", "merges.txt",
                       "tokenizer.json", "README.md", ".gitattributes", "training_args.bin")
    chosen = {f.name for f in select_files(gpt2_like).needed}
    assert chosen == {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer.json"}
    only_bin = _names("config.json", "pytorch_model.bin", "tf_model.h5", "sentencepiece.bpe.model")
    selection = select_files(only_bin)
    assert {f.name for f in selection.needed} == {"config.json", "pytorch_model.bin", "sentencepiece.bpe.model"}
    assert selection.weight_format == "pytorch"
    sharded = _names("config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
                     "model-00002-of-00002.safetensors", "pytorch_model.bin.index.json",
                     "pytorch_model-00001-of-00002.bin")
    assert {f.name for f in select_files(sharded).needed} == {
        "config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors"}
    with pytest.raises(NoUsableWeights, match="h5"):
        select_files(_names("config.json", "tf_model.h5"))


def test_progress_of_a_multi_gigabyte_file_is_tens_of_lines():
    reports = []
    now = [0.0]
    size = 3 << 30
    tracker = FileProgress(reports.append, "big", "model.safetensors", size, 1, 1, clock=lambda: now[0])
    for done in range(0, size + 1, 1 << 20):  # 1 MB chunks at 100 MB/s
        now[0] += 0.01
        tracker.advance_to(done)
    tracker.finish()
    assert 10 <= len(reports) <= 13
    last = reports[-1]
    assert last.done and last.percent == 100.0 and 90e6 < last.rate < 110e6
    assert "model.safetensors" in last.describe() and "3.0 GB of 3.0 GB (100%)" in last.describe()


def test_download_bert_script_uses_the_same_cache(hub, tmp_path, tiny_bert_folder, capsys, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("download_bert", Path(bo.__file__).parents[1] / "utils" /
                                                  "download_bert.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    hub.add(HubRepo.from_folder("bert-base-cased", tiny_bert_folder, extra=UNNEEDED_FILES))
    assert script.main(["--path", str(tmp_path)]) == 0
    assert (tmp_path / "bert-base-cased" / "model.safetensors").is_file()
    assert "bert-base-cased ready" in capsys.readouterr().out
    hub.reset_counts()
    assert script.main(["--path", str(tmp_path)]) == 0
    assert hub.requests == []
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert script.main(["--path", str(tmp_path), "--name", "absent"]) == 1
    assert "offline mode" in capsys.readouterr().err


def test_another_model_url_for_the_same_name_keeps_the_former_model_aside(hub, tmp_path):
    ensure_model(TINY_BERT, tmp_path / "model")
    (tmp_path / "fresh").mkdir()
    ensure_model(TINY_GPT2, tmp_path / "fresh")
    assert not (tmp_path / "fresh.previous").exists(), "an empty folder is simply replaced"
    outcome = ensure_model(TINY_GPT2, tmp_path / "model")
    assert outcome.source == "download"
    assert '"bert"' in (tmp_path / "model.previous" / "config.json").read_text()  # the former model, restorable
    assert '"gpt2"' in (tmp_path / "model" / "config.json").read_text()


def test_two_items_with_the_same_name_wait_for_each_other_and_download_once(hub, tmp_path):
    import threading

    start = threading.Barrier(2)
    outcomes = []

    def item() -> None:
        start.wait()
        outcomes.append(ensure_model(TINY_GPT2, tmp_path / "gpt2"))

    threads = [threading.Thread(target=item) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcome.source for outcome in outcomes) == ["cache", "download"], outcomes
    assert all(count == 1 for count in hub.requested_files().values()), hub.requested_files()
