"""The one masking rule of the host and the portal: exact credential names, values of at least
8 characters, URL credentials; other names and numbers untouched."""

from __future__ import annotations

import pytest

from iophost.masking import MASK, MASKER, unmask_lines


def test_only_exact_credential_names_are_secrets_and_other_fields_are_untouched():
    body = {"text_inputs": "hello", "max_new_tokens": 3, "token_str": "paris", "API_KEY": "k", "Token": "t",
            "payload": {"inputs": "x", "Authorization": "Bearer abc", "hf_token": "hf_x", "access_token": "a"},
            "items": [{"password": "p", "secret": "s", "max_tokens": 5}], "logits": [[0.5, 1.5], [2.5, 3.5]]}
    assert MASKER.mask_body(body) == {
        "text_inputs": "hello", "max_new_tokens": 3, "token_str": "paris", "API_KEY": MASK, "Token": MASK,
        "payload": {"inputs": "x", "Authorization": MASK, "hf_token": MASK, "access_token": MASK},
        "items": [{"password": MASK, "secret": MASK, "max_tokens": 5}], "logits": [[0.5, 1.5], [2.5, 3.5]]}


def test_numeric_arrays_are_not_walked():
    floats = [0.25] * 100_000
    assert MASKER.mask_body({"output": floats})["output"] is floats


def test_secret_values_are_masked_only_when_long_enough_to_be_credentials():
    assert MASKER.secret_values({"api_key": "started", "token": "hf_abcdefgh", "x": [{"password": "longpassword"}],
                                 "secret": MASK}) == ("hf_abcdefgh", "longpassword")
    echoed = {"answer": "your key hf_abcdefgh was used", "api_url": "http://user:pw@127.0.0.1:9/x"}
    assert MASKER.mask_body(echoed, ["hf_abcdefgh"]) == {
        "answer": f"your key {MASK} was used", "api_url": f"http://user:{MASK}@127.0.0.1:9/x"}


def test_free_text_masks_values_forms_and_url_credentials_but_not_lookalike_names():
    text = ("max_new_tokens=3 token_str=paris api_key=abc \"token\": \"a b\" Authorization: Bearer xyz.abc "
            "GET http://u:pw@h/x?hf_token=qq&n=1 with sk-0123456789")
    assert MASKER.mask_text(text, ["sk-0123456789"]) == (
        f"max_new_tokens=3 token_str=paris api_key={MASK} \"token\": \"{MASK}\" Authorization: {MASK} {MASK} "
        f"GET http://u:{MASK}@h/x?hf_token={MASK}&n=1 with {MASK}")
    assert MASKER.mask_text("production started") == "production started"


def test_settings_lines_exports_and_rendered_python():
    assert MASKER.mask_lines("name=x\napi_key=hf_abc\ntask=y") == f"name=x\napi_key={MASK}\ntask=y"
    assert unmask_lines(f"name=z\napi_key={MASK}", "name=x\napi_key=hf_abc") == "name=z\napi_key=hf_abc"
    python = MASKER.mask_text("settings={'%settings': 'name=x\\napi_key=hf_abc', 'api_key': 'hf zz'}")
    assert python == f"settings={{'%settings': 'name=x\\napi_key={MASK}', 'api_key': '{MASK}'}}"
    export = {"P": {"Item": [{"Setting": [{"@Name": "%settings", "#text": "api_key=k1\nmax_new_tokens=3"},
                                          {"@Name": "api_key", "#text": "k2"}, {"@Name": "path", "#text": "/m"}]}]}}
    assert MASKER.mask_export(export)["P"]["Item"][0]["Setting"] == [
        {"@Name": "%settings", "#text": f"api_key={MASK}\nmax_new_tokens=3"}, {"@Name": "api_key", "#text": MASK},
        {"@Name": "path", "#text": "/m"}]


def test_a_stored_body_is_resent_without_its_masked_secrets_and_a_lost_field_is_named():
    assert MASKER.unmasked_for_resend({"api_key": MASK, "payload": {"inputs": "x"}, "n": [1, 2]}) == (
        {"payload": {"inputs": "x"}, "n": [1, 2]}, [])
    assert MASKER.unmasked_for_resend({"api_url": f"http://u:{MASK}@h", "x": [{"y": MASK}]})[1] == ["api_url", "x[0].y"]


@pytest.mark.parametrize("body", [
    {"output": [[0.5, -1.25e-05]] * 3, "model": "m", "task": "feature-extraction", "image_png_base64": None},
    {"payload": {"inputs": "x", "hf_token": "hf_abcdefgh"}, "": 1},
    {'we"ird': {"api_key": "k"}, "text": "line\nbreak"},
    {"text": 'a value that looks like a key: "api_key":"k"', "n": 1},
    {"text": "no escape here", "nested": [{"password": "p"}]},
    {"api_url": "http://u:pw@h/x"},
    {"entities": [{"word": f"w{i}", "score": 0.5} for i in range(40)], "access_token": "t"},  # many strings
])
def test_json_text_is_masked_as_its_decoded_body(body):
    from iophost import jsontext

    text = jsontext.dumps(body)
    masked = MASKER.mask_json(text, ["hf_abcdefgh"])
    assert jsontext.loads(masked) == MASKER.mask_body(body, ["hf_abcdefgh"])
    if "\\" not in text and jsontext.loads(masked) == body:
        assert masked is text  # nothing to mask: the text is kept, not decoded and written again
