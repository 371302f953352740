"""One rule for the truth of a setting's text, IoP's own: the host's reading of Enabled (loader,
item states), the portal's (the item page's checkbox) and the components' boolean settings
(``mlcore.coercion``) agree with ``iop.production.common._bool_text`` for every spelling, and a
word that is none of IoP's is refused naming the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from iop import BusinessOperation, Production
from iop.production.common import _bool_text

from iophost.credentials import Credentials
from iophost.errors import SettingsError
from iophost.host import Host
from iophost.loader import is_enabled
from iophost.setting_values import setting_int, setting_truth
from iophost.store import MessageStore
from mlcore.coercion import coerce, setting_number
from mlcore.coercion import setting_truth as ml_setting_truth
from support.portal_host import PASSWORD, USERNAME, make_app

SPELLINGS = ["true", "True", "1", "yes", "YES ", " on", "ON", "false", "FALSE", "0", "no", "No", "off", " Off ",
             True, False]
INVALID = ["maybe", "", "2", "enabled", "none"]


def iop_truth(value: object) -> bool:
    return _bool_text(value) == "true"


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_enabled_and_boolean_settings_read_as_iop_reads_them(spelling: object) -> None:
    expected = iop_truth(spelling)
    item = Production("truth.Production").operation("Item", BusinessOperation).enable(spelling)
    assert is_enabled(item) is expected
    assert setting_truth(spelling, "measure_energy") is expected
    assert ml_setting_truth(spelling, "measure_energy") is expected
    if isinstance(spelling, str) and spelling.strip() not in ("0", "1"):  # coerce reads those as numbers
        assert coerce(spelling) is expected


@pytest.mark.parametrize("word", INVALID)
def test_a_word_iop_does_not_know_is_refused_naming_the_setting(word: str) -> None:
    assert _bool_text(word) not in ("true", "false")
    with pytest.raises(SettingsError, match=f"setting Enabled={word!r}: expected true/1/yes/on or false/0/no/off"):
        is_enabled(Production("truth.Production").operation("Item", BusinessOperation).enable(word))
    with pytest.raises(ValueError, match=f"setting measure_energy={word!r}: expected true"):
        ml_setting_truth(word, "measure_energy")


SETTINGS = '''
from iop import BusinessOperation, Production
from support.host_components import EchoOperation

production = Production("truth.Production")
{items}
PRODUCTIONS = [production]
'''


def _host(tmp_path: Path, items: list[str]) -> Host:
    (tmp_path / "settings.py").write_text(SETTINGS.format(items="\n".join(items)))
    return Host(tmp_path / "settings.py", MessageStore(f"sqlite:///{tmp_path / 'iophost.db'}"), data_dir=tmp_path,
                check_credentials=Credentials(USERNAME, PASSWORD).check)


def test_the_host_and_the_portal_read_enabled_as_iop_does(tmp_path: Path) -> None:
    host = _host(tmp_path, [f'production.operation("Item{n}", EchoOperation, enabled={spelling!r})'
                            for n, spelling in enumerate(SPELLINGS)])
    try:
        client = TestClient(make_app(host), base_url="http://127.0.0.1")
        token = re.search(r'name="login_token" value="([^"]+)"', client.get("/portal/login").text).group(1)
        client.post("/portal/login", data={"username": USERNAME, "password": PASSWORD, "login_token": token})
        states = host.item_states()
        for n, spelling in enumerate(SPELLINGS):
            page = client.get(f"/portal/items/Item{n}").text
            ticked = re.search(r'<input type="checkbox" name="enabled" value="1" ?(checked)?>', page).group(1)
            assert (states[f"Item{n}"], bool(ticked)) == (("stopped", True) if iop_truth(spelling)
                                                          else ("disabled", False)), spelling
    finally:
        host.close()
        host.store.close()


def test_a_production_whose_enabled_is_no_word_of_iop_does_not_load(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="item 'Odd': setting Enabled='maybe': expected true/1/yes/on"):
        _host(tmp_path, ['production.operation("Odd", EchoOperation, enabled="maybe")'])


@pytest.mark.parametrize("value, number", [("3", 3), (" 2 ", 2), (0, 0)])
def test_numbers_are_read_by_one_checked_reader(value: object, number: int) -> None:
    assert setting_int(value, "PoolSize") == number
    assert setting_number(value, "batch_size") == number


@pytest.mark.parametrize("value", ["two", "-1", True, "1.5"])
def test_a_setting_that_is_not_a_number_is_refused_naming_it(value: object) -> None:
    with pytest.raises(SettingsError, match=f"setting PoolSize={value!r}: expected a whole number of at least 0"):
        setting_int(value, "PoolSize")
    with pytest.raises(ValueError, match=f"setting batch_size={value!r}: expected a whole number of at least 0"):
        setting_number(value, "batch_size", int, 0)
