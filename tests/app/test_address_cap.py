"""The training cap per client address (aeexplorer.app.limits.client_address, one_too_many, and
the Registry that applies them): sessions opened by one script from one address get one slot,
not all of them; a forwarded address is believed only from proxies the server is told to
trust, and a hostile header is bounded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aeexplorer.app import jobs
from aeexplorer.app.limits import Limits, client_address
from tests.helpers.jobs import fake, wait


@pytest.fixture
def registry():
    made = jobs.Registry(cap=3, limits=replace(Limits(), per_session=1, per_address=1))
    yield made
    made.cancel_all(grace=1.0)


def test_twenty_sessions_from_one_address_get_one_slot(registry, tmp_path):
    made = iter(range(100))

    def start(owner: str, address: str) -> jobs.Job:
        out = tmp_path / f"{next(made)}.safetensors"
        return registry.start(fake("slow", out, 100), out, out.stem, owner=owner,
                              address=address)

    first = start("s0", "10.0.0.7")
    for k in range(1, 20):
        with pytest.raises(jobs.Busy, match="1 training from your network address already run"):
            start(f"s{k}", "10.0.0.7")
    other = start("t0", "10.0.0.8")  # another visitor still has a slot
    with pytest.raises(jobs.Busy, match="you already run 1 training"):  # the session cap holds
        start("t0", "10.0.0.9")
    first.cancel()
    wait(first)
    start("s1", "10.0.0.7")  # the address's turn again once its training ended
    assert {j.address for j in registry.running()} == {"10.0.0.7", "10.0.0.8"}
    assert other in registry.running()


def test_no_address_cap_when_turned_off(tmp_path):
    registry = jobs.Registry(cap=3, limits=replace(Limits(), per_address=0))
    try:
        for k in range(2):
            out = tmp_path / f"{k}.safetensors"
            registry.start(fake("slow", out, 100), out, str(k), owner=str(k), address="a")
        assert len(registry.running()) == 2
    finally:
        registry.cancel_all(grace=1.0)


def test_a_forwarded_address_is_believed_only_from_trusted_proxies():
    assert client_address("10.0.0.5", None, 0) == "10.0.0.5"
    assert client_address(None, None, 0) == "local"  # this machine (Streamlit says None)
    # a remote client's own X-Forwarded-For is not read without trusted proxies
    assert client_address("10.0.0.5", "1.2.3.4", 0) == "10.0.0.5"
    # the web server took the peer from the header (a peer on this machine): not believed,
    # every such session counts as one address
    assert client_address("1.2.3.4", "1.2.3.4", 0) == client_address("5.6.7.8", "5.6.7.8", 0)
    # one trusted proxy: the entry it wrote, not what the client put before it
    assert client_address("127.0.0.1", "6.6.6.6, 9.9.9.9", 1) == "9.9.9.9"
    assert client_address("127.0.0.1", "6.6.6.6, 9.9.9.9, 10.1.1.1", 2) == "9.9.9.9"
    assert client_address("10.0.0.5", None, 1) == "10.0.0.5"  # no header: the peer
    hostile = ",".join(["x" * 1000] * 10_000)
    assert len(client_address("10.0.0.5", hostile, 1)) <= 64


def test_the_address_settings_come_from_the_environment():
    lim = Limits.from_env({"AEEXPLORER_TRAININGS_PER_ADDRESS": "3",
                           "AEEXPLORER_TRUSTED_PROXIES": " 1 "})
    assert (lim.per_address, lim.trusted_proxies) == (3, 1)
    for bad in ("many", "-1", "٣", ""):
        lim = Limits.from_env({"AEEXPLORER_TRAININGS_PER_ADDRESS": bad,
                               "AEEXPLORER_TRUSTED_PROXIES": bad})
        assert (lim.per_address, lim.trusted_proxies) == (1, 0), bad
