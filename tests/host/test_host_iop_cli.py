"""The real ``iop`` CLI in remote mode drives the host: status, start, test (a tiny model's real
output), log, export, update, stop; plus PoolSize, item control, errors and masked secrets."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from iophost.testing import PASSWORD, HostProcess
from support.fake_inference_api import GPT2_ANSWER
from support.host_settings import write_settings

API_KEY = "hf_TopSecretKey0123456789"


ITEMS = '''
production.operation("Tiny GPT2", MLOperation,
                     settings={{"%settings": "name=tiny-gpt2\\npath={models}\\ntask=text-generation"}})
production.operation("Echo", EchoOperation, settings={{"%settings": "greeting={greeting}"}}).pool(2)
production.operation("Broken", BrokenOperation)
production.operation("Off", EchoOperation).disable()
production.operation("HuggingFace API", HFOperation)
'''


@pytest.fixture(scope="module")
def host(tmp_path_factory, tiny_gpt2: Path):
    folder = tmp_path_factory.mktemp("cli-host")
    models = tiny_gpt2.parent
    settings = write_settings(folder / "app", ITEMS.format(models=models, greeting="hello"))
    host = HostProcess(settings, folder / "var").start()
    host.items = lambda greeting: write_settings(folder / "app", ITEMS.format(models=models, greeting=greeting))
    yield host
    assert host.stop() == 0
    assert not (host.data / "iophost.pid").exists(), "a clean stop releases the data folder"


def test_iop_status_shows_the_running_production_and_item_states(host: HostProcess):
    result = host.iop("--status")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["production"] == "test.Production" and status["status"] == "running"
    assert status["items"] == {"Tiny GPT2": "running", "Echo": "running", "Broken": "error", "Off": "disabled",
                               "HuggingFace API": "running"}
    assert "model folder /nowhere does not exist" in status["errors"]["Broken"]
    assert len(status["workers"]["Echo"]) == 2 and "Off" not in status["workers"]


def test_iop_test_prints_the_tiny_models_generated_text(host: HostProcess):
    result = host.iop("--test", "Tiny GPT2", "--classname", "msg.MLRequest",
                      "--body", '{"text_inputs": "The model", "max_length": 20}')
    assert result.returncode == 0, result.stderr
    assert "classname: msg.MLResponse" in result.stdout
    body = json.loads(result.stdout.split("body:", 1)[1])
    generated = body["output"][0]["generated_text"]
    assert generated.startswith("The model") and len(generated) > len("The model")


def test_iop_test_restarts_the_target_and_post_test_without_restart_does_not(host: HostProcess):
    before = set(host.status()["workers"]["Echo"])
    plain = host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                          "body": {"text": "as is"}})
    assert plain.status_code == 200 and set(host.status()["workers"]["Echo"]) == before
    result = host.iop("--test", "Echo", "--classname", "support.host_components.EchoRequest",
                      "--body", '{"text": "anew"}')
    assert result.returncode == 0, result.stderr
    after = set(host.status()["workers"]["Echo"])
    assert len(after) == 2 and not after & before, "every worker of the target was restarted"
    assert json.loads(result.stdout.split("body:", 1)[1])["pid"] in after


def test_iop_log_shows_component_logs_with_item_and_session(host: HostProcess):
    answer = host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                           "body": {"text": "log me"}}).json()
    result = host.iop("--log", "20")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "echoing 'log me'" in line)
    assert " Info Echo " in line and f" {answer['session_id']} " in line and "on_echo_request" in line
    assert "Broken failed to start" in host.iop("--log", "100").stdout
    assert " None " not in result.stdout


def test_the_management_portal_is_served_by_the_host(host: HostProcess):
    assert httpx.get(f"{host.url}/portal/login").status_code == 200
    assert httpx.get(f"{host.url}/docs").status_code == 200
    paths = httpx.get(f"{host.url}/openapi.json").json()["paths"]
    assert "/api/iop/test/async" in paths
    test_body = paths["/api/iop/test"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert test_body["required"] == ["target"] and "classname" in test_body["properties"]


def test_iop_export_renders_the_production(host: HostProcess):
    exported = json.loads(host.iop("--export", "test.Production").stdout)
    items = {item["@Name"]: item for item in exported["test.Production"]["Item"]}
    assert items["Echo"]["@PoolSize"] == "2" and items["Off"]["@Enabled"] == "false"
    python = host.iop("--export", "test.Production", "--format", "python")
    assert python.returncode == 0 and "prod.component(\n    'Tiny GPT2'" in python.stdout


def test_pool_size_two_serves_two_requests_at_once(host: HostProcess, tmp_path: Path):
    release = tmp_path / "release"

    def held(text: str) -> dict:
        return host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                             "body": {"text": text, "wait_for": str(release)}}).json()

    with ThreadPoolExecutor(2) as pool:
        answers = [pool.submit(held, text) for text in ("a", "b")]
        # Both held by their component at the same time: two workers, each with one message.
        host.wait_for(lambda: host.http.get("/messages", params={"status": "Delivered", "target": "Echo"}).json()[
            "total"] == 2, what="both messages delivered at once")
        release.touch()
        pids = {json.loads(answer.result(60)["body"])["pid"] for answer in answers}
    assert len(pids) == 2


def test_component_stop_start_and_restart(host: HostProcess):
    before = set(host.status()["workers"]["Echo"])
    assert host.http.post("/component/stop", json={"component": "Echo"}).json() == {
        "status": "stopped", "component": "Echo"}
    assert host.status()["items"]["Echo"] == "stopped"
    stopped = host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest"})
    assert stopped.status_code == 409 and "not running" in stopped.json()["error"]
    assert host.http.post("/component/start", json={"item": "Echo"}).json()["status"] == "started"
    assert host.http.post("/component/restart", json={"component": "Echo"}).json()["status"] == "restarted"
    after = set(host.status()["workers"]["Echo"])
    assert len(after) == 2 and not after & before
    broken = host.http.post("/component/restart", json={"component": "Broken"})
    assert broken.status_code == 409 and "model folder /nowhere" in broken.json()["error"]


def test_update_picks_up_a_changed_setting(host: HostProcess):
    host.items("bonjour")
    result = host.iop("--update")
    assert result.returncode == 0, result.stderr
    answer = host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                           "body": '{"text": "monde"}'}).json()
    assert json.loads(answer["body"])["text"] == "bonjour monde"
    assert host.status()["items"]["Tiny GPT2"] == "running"


def test_wrong_password_is_refused_with_401(host: HostProcess):
    response = httpx.get(f"{host.url}/api/iop/status", auth=("admin", PASSWORD + "x"))
    assert response.status_code == 401 and response.json() == {"error": "invalid username or password"}
    assert httpx.get(f"{host.url}/api/iop/status").status_code == 401
    cli = host.iop("--status", env={"IOP_PASSWORD": "wrong"})
    assert cli.returncode == 1 and "401" in cli.stderr


@pytest.mark.parametrize(("payload", "status", "error"), [
    ({"target": "Nobody", "classname": "support.host_components.EchoRequest"}, 404, "'Nobody' is not in production"),
    ({"target": "Echo", "classname": "support.host_components.NoSuchMessage"}, 400, "unknown message class"),
    ({"target": "Echo", "classname": "nowhere.Message"}, 400, "unknown message class"),
    ({"target": "Echo", "classname": "support.host_components.EchoRequest", "body": "{not json"}, 400,
     "not valid JSON"),
    ({"target": "Echo", "classname": "support.host_components.EchoRequest", "body": "[1, 2]"}, 400, "JSON object"),
    ({"classname": "support.host_components.EchoRequest"}, 400, "target"),
])
def test_bad_test_requests_get_clear_4xx_and_the_production_keeps_running(host, payload, status, error):
    response = host.http.post("/test", json=payload)
    assert response.status_code == status and error in response.json()["error"]
    assert host.status()["status"] == "running"


def test_a_test_request_that_is_not_json_or_from_nobody_is_refused_as_other_routes_refuse_it(host: HostProcess):
    garbled = host.http.post("/test", content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbled.status_code == 400 and garbled.json()["error"].startswith("invalid request: body: Invalid JSON")
    wrong_type = host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                               "restart": "maybe"})
    assert wrong_type.status_code == 400
    assert "body.restart: Input should be a valid boolean" in wrong_type.json()["error"]
    anonymous = httpx.post(f"{host.url}/api/iop/test", json={"target": "Echo"})
    assert anonymous.status_code == 401 and anonymous.json() == {"error": "invalid username or password"}
    assert host.status()["status"] == "running"


def test_a_failing_component_is_a_500_with_its_error_and_an_error_message(host: HostProcess):
    response = host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                             "body": {"text": "fail"}})
    assert response.status_code == 500 and "RuntimeError: asked to fail" in response.json()["error"]
    request = host.http.get(f"/messages/{response.json()['session_id']}").json()
    assert request["status"] == "Error" and request["is_error"] and "asked to fail" in request["error_text"]


def test_async_test_returns_the_session_at_once_and_the_session_can_be_read(host: HostProcess, tmp_path: Path):
    release = tmp_path / "release"
    sent = host.http.post("/test/async", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                               "body": {"text": "later", "wait_for": str(release)}})
    assert sent.status_code == 202
    session_id = sent.json()["session_id"]
    assert host.http.get(f"/messages/{session_id}").json()["status"] in ("Queued", "Delivered"), \
        "answered while the message is still held by its component"
    release.touch()

    def finished():
        messages = host.http.get(f"/sessions/{session_id}").json()["messages"]
        return messages if len(messages) == 2 else None

    request, response = host.wait_for(finished, what="the async test's response")
    assert request["type"] == "Request" and request["status"] == "Completed" and request["priority"] == "Async"
    assert request["source_config_name"] == "EnsLib.Testing.Service" and request["target_config_name"] == "Echo"
    assert response["type"] == "Response" and response["corresponding_message_id"] == request["id"]
    assert response["body"]["text"].endswith("later")
    assert response["body_class_name"] == "support.host_components.EchoResponse"
    assert host.http.get("/sessions/999999").status_code == 404


def test_api_key_never_reaches_the_database_file_or_the_log(host: HostProcess, api_base: str):
    answer = host.http.post("/test", json={"target": "HuggingFace API", "classname": "msg.HFRequest", "body": {
        "api_url": api_base + "gpt2", "payload": {"inputs": "hello"}, "api_key": API_KEY}})
    assert answer.status_code == 200, answer.text
    assert GPT2_ANSWER[0]["generated_text"] in answer.json()["body"]
    request = host.http.get(f"/messages/{answer.json()['session_id']}").json()
    assert request["body"]["api_key"] == "********"
    host.http.get("/log", params={"top": 1})  # reads flush the store's pending writes
    stored = b"".join(path.read_bytes() for path in host.data.glob("iophost.db*"))
    assert GPT2_ANSWER[0]["generated_text"].encode() in stored and API_KEY.encode() not in stored
    assert API_KEY not in json.dumps(host.http.get("/log", params={"top": 500}).json())


def test_iop_stop_and_start_detached(host: HostProcess):
    stopped = host.iop("--stop")
    assert stopped.returncode == 0 and "Production test.Production stopped" in stopped.stdout
    assert host.status()["status"] == "stopped" and host.status()["workers"] == {}
    listed = json.loads(host.iop("--list").stdout)
    assert listed["test.Production"]["Status"] == "Stopped" and listed["test.Production"]["LastStopTime"]
    assert host.iop("--default").stdout.strip() == "test.Production"
    started = host.iop("--start", "test.Production", "--detach")
    assert started.returncode == 0 and "started" in started.stdout
    assert host.status()["status"] == "running"
