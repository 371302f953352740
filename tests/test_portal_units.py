"""The portal's pure pieces: training progress parsing, metrics table, model folders, the review
table summary, images in bodies, the trace diagram and the seed's examples."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import sqlalchemy as sa

from iophost.portal.examples import example_body
from iophost.portal.messages import LogEntryView, MessageView, body_images, image_bytes, message_from_row
from iophost.portal.ml.data_view import review_summary
from iophost.portal.ml.models_view import BACKUP, IN_USE, TEMPORARY, list_models
from iophost.portal.ml.training import curves_from_log, evaluation_report, metrics_table, parse_progress
from iophost.portal.trace import participants, sequence_svg, timeline


def test_progress_lines_in_key_value_and_trainer_dict_form() -> None:
    assert parse_progress("step=4 epoch=0.5 loss=1.52") == {"step": 4.0, "epoch": 0.5, "loss": 1.52}
    assert parse_progress("{'loss': 1.2, 'grad_norm': 3.1, 'learning_rate': 0.01, 'epoch': 1.0}")["loss"] == 1.2
    assert parse_progress("model bert loaded from /x/y with 5 labels") == {}
    curves = curves_from_log(["started", "step=1 loss=2.0", "step=2 loss=1.5 eval_accuracy=0.4",
                              "{'eval_loss': 1.4, 'eval_runtime': 0.2, 'epoch': 1.0, 'step': 3}"])
    assert curves.x_name == "step"
    assert curves.series["loss"] == [(1.0, 2.0), (2.0, 1.5)]
    assert curves.series["eval_loss"] == [(3.0, 1.4)] and "eval_runtime" not in curves.series


def test_a_closing_summary_without_a_step_is_not_drawn() -> None:
    curves = curves_from_log(["step=5/10 loss=1.0", "step=10/10 loss=0.5",
                              "old model {'accuracy': 0.2, 'loss': 1.6} → new model {'accuracy': 1.0, 'loss': 0.3}"])
    assert curves.series["loss"] == [(5.0, 1.0), (10.0, 0.5)] and "accuracy" not in curves.series


def test_metrics_table_of_a_train_response() -> None:
    table = metrics_table({"old_model": {"eval_accuracy": 0.2, "eval_loss": 1.6},
                           "new_model": {"eval_accuracy": 0.7, "eval_loss": 0.9, "energy_kwh": 0.002, "co2_kg": 0.0005},
                           "info": "send OverrideRequest"})
    assert table.rows == [("eval_accuracy", 0.2, 0.7), ("eval_loss", 1.6, 0.9)]
    assert (table.energy_kwh, table.co2_kg, table.info) == (0.002, 0.0005, "send OverrideRequest")


def test_the_evaluation_report_of_a_train_response_is_kept_only_in_the_shape_the_page_draws() -> None:
    report = {"labels": [1, 2], "old": {"confusion": [[2, 0], [1, 0]], "f1": [0.8, 0.0], "recall": [1.0]},
              "new": {"confusion": [[2, 0], ["x", 1]]}}
    assert evaluation_report({"report": report}) == {"labels": ["1", "2"],
                                                     "old": {"confusion": [[2, 0], [1, 0]], "f1": [0.8, 0.0]}}
    assert evaluation_report({"report": {"labels": ["1"], "new": {"confusion": [[1, 2]]}}}) is None
    assert evaluation_report({"old_model": {}}) is None
    table = metrics_table({"precision": "bf16", "tokens": {"computed": 10, "seed_recipe": 512, "bad": "x"}})
    assert (table.precision, table.tokens) == ("bf16", {"computed": 10, "seed_recipe": 512})


def test_models_list_every_folder_the_ml_core_keeps(tmp_path: Path) -> None:
    from mlcore.tuning.model_versions import promote, save_temporary

    def write(weights: bytes):
        def into(folder: Path) -> None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "config.json").write_text('{"model_type": "bert"}')
            (folder / "model.safetensors").write_bytes(weights)
        return into

    (tmp_path / "bert").mkdir()
    write(b"x" * 1000)(tmp_path / "bert")
    save_temporary(tmp_path, "bert", write(b"y" * 10))
    promote(tmp_path, "bert")  # the first model goes to .versions/bert/<stamp>/
    save_temporary(tmp_path, "bert", write(b"z" * 20))
    (tmp_path / "gpt2.incomplete").mkdir()
    (tmp_path / "checkpoints" / "checkpoint-4").mkdir(parents=True)
    models, checkpoints = list_models(tmp_path)
    assert [m.name for m in models] == ["bert"]
    roles = [(f.path.split("/")[0], f.role, f.size) for f in models[0].folders]
    config = len('{"model_type": "bert"}')
    assert roles == [("bert", IN_USE, 10 + config), ("temp-bert", TEMPORARY, 20 + config),
                     (".versions", BACKUP, 1000 + config)]
    assert models[0].folders[0].model_type == "bert"
    assert models[0].folders[0].card == ""
    (tmp_path / "temp-bert" / "README.md").write_text("---\nbase_model: bert\n---\n# Fine-tuned bert\n")
    assert list_models(tmp_path)[0][0].folders[1].card.endswith("# Fine-tuned bert\n")
    assert [c.path for c in checkpoints] == ["checkpoints/checkpoint-4"]
    assert list_models(tmp_path / "missing") == ([], [])


def test_review_summary_reads_iris_review_from_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "iris.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE Review (ID INTEGER PRIMARY KEY, ReviewLabel INTEGER, ReviewText TEXT)")
        for label, text in [(1, "bad"), (5, "great"), (5, "lovely"), (3, "fine")]:
            connection.exec_driver_sql("INSERT INTO Review (ReviewLabel, ReviewText) VALUES (?, ?)", (label, text))
    summary = review_summary(f"sqlite:///{path}", sample_size=2)
    assert summary.error == "" and summary.count == 4
    assert summary.histogram == [(1, 1), (3, 1), (5, 2)]
    assert len(summary.sample) == 2 and set(summary.sample[0]) == {"ReviewLabel", "ReviewText"}
    missing = review_summary(f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert "no database file" in missing.error and not (tmp_path / "none.sqlite").exists()


def test_images_in_bodies_are_found_and_decoded() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    body = {"output": {"objects": [], "image_png_base64": png}, "segments": [{"mask_png_base64": png}]}
    assert [name for name, _ in body_images(body)] == ["output.image_png_base64", "segments[0].mask_png_base64"]
    assert image_bytes(body, "segments[0].mask_png_base64").startswith(b"\x89PNG")
    assert image_bytes(body, "output.other") is None


def test_trace_diagram_draws_errors_in_red_and_links_every_message() -> None:
    request = message_from_row({"id": 7, "session_id": 7, "source_config_name": "Portal Test",
                                "target_config_name": "Tiny gpt2", "type": "Request", "status": "Error",
                                "is_error": True, "body_class_name": "msg.MLRequest", "body": {}})
    response = MessageView(id=8, session_id=7, source="Tiny gpt2", target="Portal Test", type="Response",
                           status="Completed", body_class="msg.MLResponse")
    svg = sequence_svg([response, request])
    assert participants([request, response]) == ["Portal Test", "Tiny gpt2"]
    assert 'class="message request error" data-message-id="7"' in svg
    assert 'class="message response" data-message-id="8"' in svg
    assert svg.index("[7] MLRequest (Error)") < svg.index("[8] MLResponse")


def test_examples_are_the_seeds_by_class_and_task() -> None:
    assert example_body("msg.MLRequest", "fill-mask") == {"inputs": "George Washington lived in [MASK]."}
    assert example_body("msg.MLRequest", "text-generation")["num_return_sequences"] == 3
    assert example_body("msg.TrainRequest")["table"] == "iris.Review"
    assert example_body("msg.OverrideRequest") == {}
    assert example_body("msg.HFRequest")["api_key"] == ""


def test_the_host_imports_of_the_ml_core_only_its_layout_conventions() -> None:
    import subprocess
    import sys

    code = ("import sys, iophost.cli, iophost.portal.ml.models_view, iophost.portal.ml.data_view\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlcore', 'torch', 'transformers', 'bo')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": os.environ["PYTHONPATH"]}).stdout.strip()  # this checkout only
    assert loaded == "['mlcore', 'mlcore.layout']"


def test_trace_puts_each_log_line_after_its_message_and_times_a_response_from_its_request() -> None:
    request = MessageView(id=1, session_id=1, source="Svc", target="Proc", type="Request", status="Completed",
                          body_class="m.Req", time_created="2026-01-01 10:00:00.000")
    call = MessageView(id=2, session_id=1, source="Proc", target="Op", type="Request", status="Error",
                       body_class="m.Req", is_error=True, time_created="2026-01-01 10:00:00.010")
    answer = MessageView(id=3, session_id=1, source="Proc", target="Svc", type="Response", status="Completed",
                         body_class="m.Resp", corresponding_id=1, time_created="2026-01-01 10:00:00.250")
    routing = LogEntryView(id=5, time_logged="2026-01-01 10:00:00.005", type="Info", config_name="Proc",
                           text="routing", message_id=1, session_id=1)
    failed = LogEntryView(id=6, time_logged="2026-01-01 10:00:00.020", type="Error", config_name="Op",
                          text="Op is not running", session_id=1)
    assert [getattr(row, "text", row.id) for row in timeline([answer, call, request], [failed, routing])] == [
        1, "routing", 2, "Op is not running", 3]
    svg = sequence_svg([request, call, answer], [routing, failed])
    assert "+250 ms" in svg and ">10:00:00.000<" in svg
    assert 'class="log error"' in svg and 'class="message request error" data-message-id="2"' in svg
