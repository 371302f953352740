"""The portal over HTTP (no browser) on the real host core: login and its refusals, cross-site
protection, production changes that persist across restarts and show in the export, messages,
resend and the event log."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from iophost.host import Host
from iophost.testing import wait_for
from support.checkout import ROOT
from support.portal_host import PASSWORD, USERNAME, close_host, make_app, make_host

BASE = "http://127.0.0.1"


def logged_in(host: Host) -> tuple[TestClient, str]:
    """A client with a session cookie, and the session's CSRF token."""
    client = TestClient(make_app(host), base_url=BASE)
    page = client.get("/portal/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/portal/login", data={"username": USERNAME, "password": PASSWORD,
                                                  "login_token": token, "next": "/portal/"})
    assert response.status_code == 200 and str(response.url).endswith("/portal/")
    return client, re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)


def basic(password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{USERNAME}:{password}".encode()).decode()}


def test_pages_ask_for_a_login_and_the_api_answers_401(portal_host: Host) -> None:
    client = TestClient(make_app(portal_host), base_url=BASE)
    page = client.get("/portal/messages", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/portal/login?next=")
    assert client.get("/portal/api/status").status_code == 401
    assert client.get("/portal/api/status", headers=basic("wrong")).status_code == 401
    assert client.get("/portal/api/status", headers=basic()).json()["production"] == "test.Production"


def test_a_wrong_login_is_refused(portal_host: Host) -> None:
    client = TestClient(make_app(portal_host), base_url=BASE)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/portal/login").text).group(1)
    response = client.post("/portal/login", data={"username": USERNAME, "password": "nope", "login_token": token})
    assert response.status_code == 401 and "Wrong username or password" in response.text
    assert "iophost_portal" not in client.cookies
    assert client.get("/portal/", follow_redirects=False).status_code == 303


def test_log_out_ends_the_session_even_for_a_replayed_cookie(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    cookie = client.cookies["iophost_portal"]
    assert client.post("/portal/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("iophost_portal", cookie)  # the cookie kept by an attacker (or a stale tab) after Log out
    assert client.get("/portal/", follow_redirects=False).status_code == 303
    assert client.get("/portal/api/status").status_code == 401


def test_the_session_cookie_is_httponly_and_samesite_strict(portal_host: Host) -> None:
    client = TestClient(make_app(portal_host), base_url=BASE)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/portal/login").text).group(1)
    response = client.post("/portal/login", data={"username": USERNAME, "password": PASSWORD, "login_token": token},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_cross_site_form_posts_are_refused(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    foreign = client.post("/portal/production/start", data={"csrf_token": csrf},
                          headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert foreign.status_code == 403
    no_token = client.post("/portal/production/start", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    wrong_token = client.post("/portal/api/test", json={"target": "Echo", "classname": "msg.MLRequest"},
                              headers={"X-CSRF-Token": "0" * 64})
    assert wrong_token.status_code == 403
    assert portal_host.production_state() == "stopped"
    same_site = client.post("/portal/production/start", data={"csrf_token": csrf},
                            headers={"Origin": BASE}, follow_redirects=False)
    assert same_site.status_code == 303 and portal_host.production_state() == "running"


def test_a_login_form_posted_from_another_site_is_refused(portal_host: Host) -> None:
    client = TestClient(make_app(portal_host), base_url=BASE)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/portal/login").text).group(1)
    response = client.post("/portal/login", data={"username": USERNAME, "password": PASSWORD, "login_token": token},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and "iophost_portal" not in client.cookies


def test_settings_changes_persist_across_restarts_and_show_in_the_export(
        portal_host: Host, tmp_path: Path, model_root: Path) -> None:
    settings_file = tmp_path / "production" / "settings.py"
    before = settings_file.read_text()
    client, csrf = logged_in(portal_host)
    client.post("/portal/production/start", data={"csrf_token": csrf})
    response = client.post("/portal/items/Echo/settings", data={
        "csrf_token": csrf, "percent_settings": "greeting=hello\nretries=3", "other_settings": "Timeout=30",
        "pool_size": "2", "enabled": "1", "comment": "changed in the portal"})
    assert "settings+saved+and+applied" in str(response.url)
    assert any(e["text"] == "Echo started" for e in portal_host.store.log_entries(top=5))
    client.post("/portal/items", data={"csrf_token": csrf, "name": "Second echo", "percent_settings": "a=1",
                                       "classname": "support.portal_components.EchoOperation"})
    client.post("/portal/items/Detector/remove", data={"csrf_token": csrf})
    assert portal_host.item_states()["Second echo"] == "running"

    close_host(portal_host)
    restarted = make_host(tmp_path, model_root)  # same data folder, settings.py rewritten from the fixture
    echo = restarted.production.item("Echo")
    assert echo.host_settings == {"%settings": "greeting=hello\nretries=3", "Timeout": "30"}
    assert int(echo.pool_size) == 2 and echo.comment == "changed in the portal"
    names = [item.name for item in restarted.production.items]
    assert "Second echo" in names and "Detector" not in names
    export = TestClient(make_app(restarted), base_url=BASE).get("/portal/api/export", headers=basic()).text
    assert "'%settings': 'greeting=hello\\nretries=3'" in export and "'Second echo'" in export
    assert "Detector" not in export
    assert settings_file.read_text() == before
    close_host(restarted)


def test_the_settings_editor_never_shows_a_secret_and_keeps_it_on_save(
        portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/items/Echo/settings", data={"csrf_token": csrf, "percent_settings": "api_key=hf_SECRET",
                                                     "pool_size": "1", "enabled": "1"})
    page = client.get("/portal/items/Echo")
    assert "hf_SECRET" not in page.text and "api_key=********" in page.text
    assert "hf_SECRET" not in client.get("/portal/export").text
    client.post("/portal/items/Echo/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                     "percent_settings": "api_key=********\nretries=2"})
    assert portal_host.production.item("Echo").host_settings["%settings"] == "api_key=hf_SECRET\nretries=2"


def test_an_item_that_fails_to_start_shows_error_and_its_log(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/items/Tiny%20gpt2/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                           "percent_settings": "name=no-such-model\ntask=fill-mask"})
    client.post("/portal/production/start", data={"csrf_token": csrf})
    assert portal_host.item_states()["Tiny gpt2"] == "error"
    page = client.get("/portal/items/Tiny%20gpt2")
    assert 'badge state-error' in page.text and "no-such-model" in page.text and "failed to start" in page.text


def test_disable_and_enable_an_item(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/production/start", data={"csrf_token": csrf})
    client.post("/portal/items/Echo/disable", data={"csrf_token": csrf})
    assert portal_host.item_states()["Echo"] == "disabled"
    client.post("/portal/items/Spare/enable", data={"csrf_token": csrf})
    assert portal_host.item_states()["Spare"] == "running"


def test_adding_an_item_of_a_class_outside_the_production_is_refused(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    response = client.post("/portal/items", data={"csrf_token": csrf, "name": "Shell", "classname": "os.system"})
    assert "not+one+of+the+production" in str(response.url)
    assert "Shell" not in [item.name for item in portal_host.production.items]


def test_messages_search_paging_and_resend(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/production/start", data={"csrf_token": csrf})
    for word in ("one", "two", "three"):
        assert client.post("/portal/api/test", json={"target": "Echo", "classname": "msg.MLRequest",
                                                     "body": {"inputs": word}},
                           headers={"X-CSRF-Token": csrf}).json()["body"]["output"] == {"echo": word}
    failed = client.post("/portal/api/test", json={"target": "Tiny gpt2", "classname": "msg.MLRequest", "body": {}},
                         headers={"X-CSRF-Token": csrf}).json()
    assert "PipelineCallError" in failed["error"]
    page = client.get("/portal/messages", params={"target": "Echo", "body_class": "msg.MLRequest"})
    assert "Messages <span class=\"muted\">(3)</span>" in page.text
    errors = client.get("/portal/messages", params={"status": "Error"})
    assert "(1)" in errors.text and "Tiny gpt2" in errors.text
    future = client.get("/portal/messages", params={"since": "2999-01-01T00:00:00"})
    assert "(0)" in future.text and "No message matches" in future.text
    past = client.get("/portal/messages", params={"since": "2000-01-01T00:00", "until": "2999-01-01T00:00"})
    assert "(7)" in past.text
    api = client.get("/portal/api/messages", params={"source": "Echo", "limit": 2}).json()
    assert api["total"] == 3 and len(api["messages"]) == 2
    request_id = client.get("/portal/api/messages", params={"target": "Echo", "limit": 1}).json()["messages"][0]["id"]
    resent = client.post(f"/portal/messages/{request_id}/resend", data={"csrf_token": csrf})
    session_id = int(re.search(r"/portal/trace/(\d+)", str(resent.url)).group(1))
    messages = client.get(f"/portal/api/sessions/{session_id}").json()["messages"]
    assert [m["type"] for m in messages] == ["Request", "Response"]
    assert messages[1]["body"]["output"] == {"echo": "three"}
    trace = client.get(f"/portal/trace/{failed['session_id']}")
    assert 'class="message request error"' in trace.text


def test_event_log_filters_and_tail(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/production/start", data={"csrf_token": csrf})
    last = client.get("/portal/api/log", params={"top": 1}).json()[0]["id"]
    portal_host.log("Warning", "Echo", "disk almost full")
    portal_host.log("Info", "Tuning", "step=1 loss=1.0")
    tail = client.get("/portal/api/log", params={"since_id": last}).json()
    assert [e["text"] for e in tail] == ["disk almost full", "step=1 loss=1.0"]
    warnings = client.get("/portal/api/log", params={"type": "Warning", "item": "Echo"}).json()
    assert [e["text"] for e in warnings] == ["disk almost full"]
    page = client.get("/portal/log", params={"item": "Tuning"})
    assert "step=1 loss=1.0" in page.text and "disk almost full" not in page.text


@pytest.mark.parametrize("path", ["/portal/", "/portal/test", "/portal/messages", "/portal/log", "/portal/training",
                                  "/portal/models", "/portal/data", "/portal/export", "/portal/items/Echo"])
def test_every_page_renders_with_local_assets_only(portal_host: Host, path: str) -> None:
    client, _csrf = logged_in(portal_host)
    page = client.get(path)
    assert page.status_code == 200
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def test_the_models_page_lists_what_override_and_rollback_use(portal_host: Host, tmp_path: Path) -> None:
    from mlcore.tuning.model_versions import promote, save_temporary

    def model(text: str):
        def write(folder: Path) -> None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "config.json").write_text(f'{{"model_type": "{text}"}}')
        return write

    root = tmp_path / "tuned"
    model("first")(root / "classifier")
    save_temporary(root, "classifier", model("second"))
    promote(root, "classifier")
    save_temporary(root, "classifier", model("third"))
    client, csrf = logged_in(portal_host)
    client.post("/portal/items/Tuning/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                       "percent_settings": f"path={root}"})
    client.post("/portal/items/Echo/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                     "percent_settings": f"path={tmp_path / 'no-such-root'}"})
    page = client.get("/portal/models").text
    section = page[page.index('data-model="classifier"'):]
    assert re.search(r"<code>\.versions/classifier/\d{8}T\w+</code></td><td>backup \(Rollback restores", section)
    assert "<code>temp-classifier</code></td><td>trained, not promoted" in section
    assert "<code>classifier</code></td><td>in use</td><td>second" in section
    assert "no-such-root" not in page


def test_the_data_page_reads_the_tuning_items_database(portal_host: Host, tmp_path: Path) -> None:
    from support.reviews import fill_reviews, review_rows

    url = fill_reviews(f"sqlite:///{tmp_path / 'reviews.sqlite'}", review_rows(per_label=2))
    client, csrf = logged_in(portal_host)
    client.post("/portal/items/Tuning/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                       "percent_settings": f"db_url={url}"})
    page = client.get("/portal/data").text
    assert '<strong id="review-count">10</strong>' in page and "reviews.sqlite" in page


def test_a_settings_line_without_equals_is_refused_before_saving(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    before = dict(portal_host.production.item("Echo").host_settings)
    page = client.post("/portal/items/Echo/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                            "percent_settings": "greeting=hi\ntrust_remote_code"})
    assert page.status_code == 200 and str(page.url).startswith(f"{BASE}/portal/items/Echo?error=")
    assert "%settings line 2: &#39;trust_remote_code&#39; has no &#39;=&#39; (expected name=value)" in page.text
    assert 'class="flash error"' in page.text
    bad_name = client.post("/portal/items/Echo/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                                "other_settings": "two words=1"})
    assert "Other settings line 1: setting name &#39;two words&#39; is not a Python attribute name" in bad_name.text
    assert portal_host.production.item("Echo").host_settings == before


def test_a_failed_action_is_shown_in_the_page_without_internal_paths(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/items/Tiny%20gpt2/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                           "percent_settings": "name=no-such-model\ntask=fill-mask"})
    client.post("/portal/production/start", data={"csrf_token": csrf})
    restarted = client.post("/portal/items/Tiny%20gpt2/restart", data={"csrf_token": csrf})
    assert restarted.status_code == 200 and restarted.headers["content-type"].startswith("text/html")
    flash = re.search(r'<p class="flash error" role="alert">([^<]*)</p>', restarted.text).group(1)
    assert flash.startswith("Tiny gpt2 failed to start: ModelLoadError: no model folder at ")
    assert ".py:" not in flash and "(at /" not in flash
    assert any("raised at" in e["text"] for e in portal_host.store.log_entries(top=50, type="Trace"))
    override = client.post("/portal/training/Tuning/override", data={"csrf_token": csrf})
    assert 'class="flash error"' in override.text and "No temporary model detected" in override.text
    unknown = client.get("/portal/items/No%20such%20item")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    assert "no item named" in unknown.text
    assert client.get("/portal/trace/abc").headers["content-type"].startswith("text/html")


def test_the_production_shows_starting_then_running_and_buttons_follow_the_state(
        portal_host: Host, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    client, csrf = logged_in(portal_host)
    stopped = client.get("/portal/")
    assert re.search(r'id="production-start" data-production-action="start">', stopped.text)
    assert re.search(r'id="production-stop" data-production-action="stop" disabled>', stopped.text)
    client.post("/portal/items/Gated/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                      "percent_settings": f"gate={gate}"})
    portal_host.start_production(wait=0)
    starting = client.get("/portal/api/status").json()
    assert starting["items"]["Gated"] == "starting" and starting["badge"] == {"state": "starting",
                                                                               "label": "starting"}
    assert starting["actions"] == {"start": False, "stop": True, "update": True}
    page = client.get("/portal/")
    assert 'class="badge state-starting">starting</span>' in page.text
    assert 'class="item state-starting" data-item="Gated"' in page.text
    gate.touch()
    wait_for(lambda: client.get("/portal/api/status").json()["badge"]["state"] == "running", what="running")


def test_items_in_error_colour_the_badge_and_show_their_reason(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/items/Tiny%20gpt2/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                           "percent_settings": "name=no-such-model\ntask=fill-mask"})
    client.post("/portal/production/start", data={"csrf_token": csrf})
    page = client.get("/portal/")
    assert 'class="badge state-error">running, 1 item in error</span>' in page.text
    box = page.text[page.text.index('data-item="Tiny gpt2"'):]
    assert re.search(r'<text class="item-error"[^>]*>Tiny gpt2 failed to start: \w', box)
    assert "<title" in box[:400] and "no-such-model" in box[:box.index("</a>")]


def test_unsafe_item_names_are_refused(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    for name in ("a/b ?x", "../up", "x#y", "-lead"):
        page = client.post("/portal/items", data={"csrf_token": csrf, "name": name,
                                                  "classname": "support.portal_components.EchoOperation"})
        assert "refused: expected 1 to 128 letters" in page.text, name
    assert [i.name for i in portal_host.production.items if "/" in i.name or "#" in i.name] == []


def test_pages_are_not_stored_and_the_favicon_is_served(portal_host: Host) -> None:
    client, _csrf = logged_in(portal_host)
    assert client.get("/portal/models").headers["cache-control"] == "no-store"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_the_test_page_offers_only_the_classes_an_item_handles(portal_host: Host) -> None:
    client, _csrf = logged_in(portal_host)
    choices = client.get("/portal/api/examples").json()
    assert choices["Echo"]["classes"] == ["msg.MLRequest"]
    assert set(choices["Tuning"]["classes"]) == {"msg.TrainRequest", "msg.OverrideRequest"}
    assert choices["Detector"]["examples"]["msg.MLRequest"] == {"url": "misc/000000039769.jpg"}
    assert (ROOT / "misc" / "000000039769.jpg").is_file()


def test_a_class_without_handler_is_an_error_and_an_image_is_linked_not_dumped(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/production/start", data={"csrf_token": csrf})
    headers = {"X-CSRF-Token": csrf}
    unhandled = client.post("/portal/api/test", json={"target": "Echo", "classname": "msg.OverrideRequest",
                                                      "body": {}}, headers=headers).json()
    assert unhandled["body"] is None and not unhandled["note"]
    assert "EchoOperation has no handler for msg.OverrideRequest (it handles: msg.MLRequest)" in unhandled["error"]
    client.post("/portal/items/Silent/enable", data={"csrf_token": csrf})
    silent = client.post("/portal/api/test", json={"target": "Silent", "classname": "msg.MLRequest", "body": {}},
                         headers=headers).json()
    assert silent["body"] is None and not silent["error"]
    assert silent["note"] == "Silent answered nothing (null): its handler for msg.MLRequest returned None."
    detected = client.post("/portal/api/test", json={"target": "Detector", "classname": "msg.MLRequest",
                                                     "body": {"url": "misc/000000039769.jpg"}}, headers=headers).json()
    assert detected["body"]["output"]["image_png_base64"].startswith("<PNG, ")
    assert len(str(detected["body"])) < 1000
    image = client.get(detected["images"][0]["url"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_training_runs_are_listed_queued_running_and_finished_and_shown_one_at_a_time(
        portal_host: Host, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    client, csrf = logged_in(portal_host)
    client.post("/portal/items/Tuning/settings", data={"csrf_token": csrf, "pool_size": "1", "enabled": "1",
                                                       "percent_settings": f"steps=2\npause=0\ngate={gate}"})
    client.post("/portal/production/start", data={"csrf_token": csrf})
    sessions = [client.post("/portal/api/test", json={"target": "Tuning", "classname": "msg.TrainRequest", "body": {}},
                            headers={"X-CSRF-Token": csrf}).json()["session_id"] for _ in range(2)]

    def view(**params) -> dict:
        return client.get("/portal/api/training", params={"item": "Tuning", **params}).json()

    states = wait_for(lambda: (lambda v: v if [r["state"] for r in v["runs"]] == ["queued", "running"] else None)(
        view()), what="one running, one queued")
    assert states["session_id"] == sessions[0] and states["state"] == "running" and states["metrics"] is None
    gate.touch()
    wait_for(lambda: [r["state"] for r in view()["runs"]] == ["finished", "finished"], what="both finished")
    last, first = view(), view(session=sessions[0])
    assert last["session_id"] == sessions[1] and first["session_id"] == sessions[0]
    assert [p[0] for p in first["curves"]["series"]["loss"]] == [1.0, 2.0]  # its own steps, not both runs'
    assert first["metrics"]["rows"][0] == ["eval_loss", 1.52, 0.9]
    page = client.get("/portal/training", params={"item": "Tuning", "session": sessions[0]})
    assert f'data-session="{sessions[0]}"' in page.text


def test_messages_contain_filters_body_search_sort_and_page_size(portal_host: Host) -> None:
    client, csrf = logged_in(portal_host)
    client.post("/portal/production/start", data={"csrf_token": csrf})
    for word in [f"word-{n:02d}" for n in range(22)] + ["George Washington"]:
        client.post("/portal/api/test", json={"target": "Echo", "classname": "msg.MLRequest", "body": {"inputs": word}},
                    headers={"X-CSRF-Token": csrf})

    def ids(**params) -> list[int]:
        page = client.get("/portal/messages", params=params).text
        return [int(n) for n in re.findall(r'data-message-id="(\d+)"', page)]

    found = client.get("/portal/messages", params={"text": "george", "target": "ech", "body_class": "mlreq"})
    assert "Messages <span class=\"muted\">(1)</span>" in found.text
    both = client.get("/portal/messages", params={"text": "GEORGE"})
    assert "Messages <span class=\"muted\">(2)</span>" in both.text  # the request and the echo's response
    newest = ids(size=20)
    assert len(newest) == 20 and newest == sorted(newest, reverse=True)
    assert ids(size=20, sort="oldest")[:3] == [1, 2, 3]
    second = ids(size=20, page=3)
    assert second and max(second) < min(ids(size=20, page=2))
    assert len(ids(last="15m")) == 46 and ids(since="2999-01-01T00:00") == []
    pane = client.get("/portal/messages").text
    assert 'id="message-detail"' in pane and "/portal/static/trace.js" in pane


def test_the_event_log_filters_by_parts_of_item_and_text_pages_and_colours_errors(portal_host: Host) -> None:
    client, _csrf = logged_in(portal_host)
    for n in range(25):
        portal_host.log("Info", "Tuning", f"step={n} loss=1.0")
    portal_host.log("Error", "Tiny gpt2", "out of memory")
    portal_host.log("Warning", "Echo", "disk almost full")
    page = client.get("/portal/log", params={"item": "tun", "text": "STEP=1", "size": 20}).text
    assert re.findall(r'<td class="text">(step=1\d?) ', page) == [f"step={n}" for n in (19, 18, 17, 16, 15, 14, 13,
                                                                                         12, 11, 10, 1)]
    first, second = (client.get("/portal/log", params={"item": "Tuning", "size": 20, "page": n}).text for n in (1, 2))
    assert 'id="next-page"' in first and 'id="next-page"' not in second
    assert [len(re.findall(r"<td class=\"text\">step=", page)) for page in (first, second)] == [20, 5]
    errors = client.get("/portal/log", params={"type": "Error"}).text
    assert '<tr class="log-error"><td>' in errors and "out of memory" in errors and "disk almost full" not in errors
    oldest = client.get("/portal/log", params={"sort": "oldest", "size": 20}).text
    assert 'data-live="0"' in oldest and "host started" in oldest
