"""`FetchError.status` carries the server's last HTTP status, through `download` and `_http.get`."""

from __future__ import annotations

import pytest

from kg.sources import FetchError, download
from loaders import _http

from .loopback import Answer, loopback


def test_a_final_4xx_carries_its_status(tmp_path):
    with loopback() as srv:
        srv.route("/gone", Answer(410, b"gone"))
        with pytest.raises(FetchError) as err:
            download(f"{srv.url}/gone", tmp_path / "f", retries=2, backoff=0)
    assert err.value.status == 410
    assert len(srv.hits("/gone")) == 1                      # 4xx other than 429 is not retried


def test_retries_exhausted_on_5xx_carry_the_last_status(tmp_path):
    with loopback() as srv:
        srv.route("/busy", Answer(500, b"x"), Answer(503, b"x"))
        with pytest.raises(FetchError) as err:
            download(f"{srv.url}/busy", tmp_path / "f", retries=2, backoff=0)
    assert err.value.status == 503 and len(srv.hits("/busy")) == 3


def test_a_timeout_has_no_status(tmp_path):
    with loopback() as srv:
        srv.route("/slow", Answer(body=b"late", delay=1.0))
        with pytest.raises(FetchError) as err:
            download(f"{srv.url}/slow", tmp_path / "f", retries=0, timeout=0.2)
    assert err.value.status is None


def test_http_get_keeps_the_status_and_hides_the_key(tmp_path):
    with loopback() as srv:
        srv.route("/api", Answer(403, b"no"))
        with pytest.raises(FetchError) as err:
            _http.get(f"{srv.url}/api", tmp_path / "f", params={"key": "s3cret", "q": 1}, retries=0)
        assert err.value.status == 403
        assert "s3cret" not in str(err.value) and "key=***" in str(err.value)
        srv.route("/none", Answer(404, b"none"))
        assert _http.get(f"{srv.url}/none", tmp_path / "g", missing_ok=True, retries=0) is None
