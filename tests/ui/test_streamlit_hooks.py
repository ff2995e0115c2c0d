"""The hooks into Streamlit's internals (aeexplorer.ui.streamlit_hooks), without a server: they
are where this Streamlit has them (this fails first when an upgrade moves one), an upload is
kept only under an id issued to its session and within the budgets, and a clear_cache message
leaves the shared caches alone. tests/browser/test_room.py probes a real server."""

from __future__ import annotations

import types

import pytest
import streamlit as st
from starlette.exceptions import HTTPException
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from aeexplorer.ui import streamlit_hooks

MB = 1 << 20


def test_the_hooks_are_where_this_streamlit_has_them():
    streamlit_hooks.check()  # raises HookMoved, naming what moved, after an upgrade
    assert st.__version__ == "1.67.0", "re-read streamlit_hooks against the new Streamlit"


def guarded(session_mb: int = 32, total_mb: int = 512) -> MemoryUploadedFileManager:
    class Runtime:  # what _guard_uploads reads of Streamlit's runtime
        _uploaded_file_mgr = MemoryUploadedFileManager("/_stcore/upload_file")

    runtime = Runtime()
    runtime._uploaded_file_mgr.add_file("early", UploadedFileRec("x", "x.png", "image/png",
                                                                 b"0" * 100))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AEEXPLORER_UPLOAD_SESSION_MB", str(session_mb))
        mp.setenv("AEEXPLORER_UPLOAD_TOTAL_MB", str(total_mb))
        streamlit_hooks._guard_uploads(runtime)
    return runtime._uploaded_file_mgr


def put(mgr, session: str, file_id: str, size: int) -> int:
    try:
        mgr.add_file(session, UploadedFileRec(file_id, "a.png", "image/png", b"0" * size))
    except HTTPException as exc:
        return exc.status_code
    return 204


def test_uploads_only_under_ids_issued_to_that_session():
    mgr = guarded()
    assert mgr.get_files("early", ["x"]) == []  # sent before the hooks: dropped
    mine = [u.file_id for u in mgr.get_upload_urls("s1", ["a.png", "b.png"])]
    assert put(mgr, "s1", "made-up", 10) == 403
    assert put(mgr, "s2", mine[0], 10) == 403  # another session's id
    assert put(mgr, "s1", mine[0], 10) == 204
    assert [f.file_id for f in mgr.get_files("s1", mine)] == [mine[0]]
    mgr.remove_session_files("s1")  # the session closed: its ids go with its files
    assert put(mgr, "s1", mine[1], 10) == 403


def test_a_session_and_the_server_hold_at_most_their_budgets():
    mgr = guarded(session_mb=25, total_mb=35)
    ids = [u.file_id for u in mgr.get_upload_urls("s1", ["a"] * 4)]
    assert [put(mgr, "s1", i, 10 * MB) for i in ids[:3]] == [204, 204, 413]
    assert put(mgr, "s1", ids[0], 10 * MB) == 204  # the same uploader's file replaced
    other = [u.file_id for u in mgr.get_upload_urls("s2", ["a"] * 2)]
    assert [put(mgr, "s2", i, 10 * MB) for i in other] == [204, 503]
    assert mgr._total_bytes == 30 * MB


def test_only_the_newest_issued_ids_are_remembered():
    mgr = guarded()
    ids = [u.file_id for u in mgr.get_upload_urls("s1", ["a"] * 1000)]
    assert len(mgr._issued["s1"]) == streamlit_hooks.ISSUED_KEPT
    assert put(mgr, "s1", ids[0], 10) == 403 and put(mgr, "s1", ids[-1], 10) == 204


def test_a_clear_cache_message_leaves_the_shared_caches(monkeypatch):
    loads = []

    @st.cache_resource
    def shared_model() -> int:
        loads.append(1)
        return len(loads)

    class Session(AppSession):
        def __init__(self):  # only what handle_backmsg reads for this message
            self._session_id = "probe"
            self._session_state = types.SimpleNamespace(clear=lambda: None)

        def __del__(self):  # nothing was started: nothing to shut down
            pass

        @property
        def id(self) -> str:
            return self._session_id

    msg = BackMsg()
    msg.clear_cache = True
    shared_model()
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request",
                        streamlit_hooks._refuse_clear_cache)
    Session().handle_backmsg(msg)
    assert shared_model() == 1 and len(loads) == 1
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request",
                        streamlit_hooks.STREAMLIT_CLEAR_CACHE)  # every visitor's caches emptied
    Session().handle_backmsg(msg)
    assert shared_model() == 2


def test_install_is_a_no_op_without_a_server(monkeypatch):
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request",
                        streamlit_hooks.STREAMLIT_CLEAR_CACHE)
    streamlit_hooks.install()
    assert AppSession._handle_clear_cache_request is streamlit_hooks.STREAMLIT_CLEAR_CACHE
    assert not streamlit_hooks._failed
