"""The one place this app reaches into Streamlit's internals (pinned: 1.67.0), to bound what one
visitor can make the server hold through Streamlit's own endpoints. Nothing on disk is patched:
``install`` (called by ``app.py`` on every run, idempotent) changes two live objects.

* Uploads (``/_stcore/upload_file/<session>/<file id>``): the server's one
  ``MemoryUploadedFileManager`` becomes a ``GuardedUploads`` (its class swapped in place: the
  upload routes and every session hold that very object). A file is stored only under an id
  this server issued to that session (a ``file_urls_request``, as the uploader sends), within a
  byte budget per session and one for the server; anything else is answered 403 / 413 / 503
  and its bytes dropped at once.
* ``clear_cache`` messages: Streamlit's handler empties every ``st.cache_resource`` for all
  visitors (the models, maps and test images they share), so any visitor could make everyone
  reload them. The handler is replaced by one that refuses it.

Widget values are bounded by Streamlit's own ``server.maxWidgetStateSize`` in
``.streamlit/config.toml``. Until the first page run of a server these hooks are not in place;
``install`` then drops whatever was uploaded before (no uploader had been drawn yet, so none of
it was a visitor's file). ``tests/ui/test_streamlit_hooks.py`` fails if an upgrade moves them.
"""

from __future__ import annotations

import collections
import logging
import os
import threading

from streamlit.runtime import Runtime
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

MB = 1 << 20
SESSION_BYTES = 32 * MB  # three pages' uploaders at 10 MB each, with room to spare
TOTAL_BYTES = 512 * MB  # all sessions' uploads together
ISSUED_KEPT = 32  # file ids remembered per session (the newest): an uploader uses one at a time
_LOG = logging.getLogger(__name__)
STREAMLIT_CLEAR_CACHE = AppSession._handle_clear_cache_request  # Streamlit's own, replaced
_lock = threading.Lock()
_failed = False  # an upgrade moved a hook: said once in the log


class HookMoved(RuntimeError):
    """Streamlit no longer has what this module hooks into (an upgrade moved it)."""


def _budget(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) * MB if text.isascii() and text.isdigit() else default


class GuardedUploads(MemoryUploadedFileManager):
    """Streamlit's in-memory upload store, keeping only files under ids it issued, within
    ``SESSION_BYTES`` per session and ``TOTAL_BYTES`` in all (set by ``install``)."""
    _issued: dict[str, collections.OrderedDict]
    _guard: threading.Lock
    session_bytes: int
    total_bytes: int

    def get_upload_urls(self, session_id, file_names):
        infos = super().get_upload_urls(session_id, file_names)
        with self._guard:
            issued = self._issued.setdefault(session_id, collections.OrderedDict())
            for info in infos:
                issued[info.file_id] = None
            while len(issued) > ISSUED_KEPT:
                issued.popitem(last=False)
        return infos

    def add_file(self, session_id, file) -> None:
        from starlette.exceptions import HTTPException

        with self._guard:
            if file.file_id not in self._issued.get(session_id, ()):
                raise HTTPException(403, "This upload was not asked for by this page.")
            held = self.file_storage.get(session_id, {})
            mine = sum(len(f.data) for i, f in held.items() if i != file.file_id)
            if mine + len(file.data) > self.session_bytes:
                raise HTTPException(413, "This page holds as many uploads as it may.")
            if self._total_bytes + len(file.data) > self.total_bytes:
                raise HTTPException(503, "This server holds as many uploads as it may.")
            super().add_file(session_id, file)

    def remove_session_files(self, session_id) -> None:
        super().remove_session_files(session_id)
        with self._guard:
            self._issued.pop(session_id, None)


def _refuse_clear_cache(self: AppSession) -> None:
    """A visitor's "clear cache" message: ignored, since the caches are every visitor's."""
    _LOG.info("A clear_cache message from session %s was ignored.", self.id)


def _guard_uploads(runtime: Runtime) -> None:
    mgr = getattr(runtime, "_uploaded_file_mgr", None)
    if isinstance(mgr, GuardedUploads):
        return
    if type(mgr) is not MemoryUploadedFileManager:
        raise HookMoved(f"the upload store is a {type(mgr).__name__}, not Streamlit's "
                        "MemoryUploadedFileManager")
    mgr._guard = threading.Lock()
    mgr._issued = {}
    mgr.session_bytes = _budget("AEEXPLORER_UPLOAD_SESSION_MB", SESSION_BYTES)
    mgr.total_bytes = _budget("AEEXPLORER_UPLOAD_TOTAL_MB", TOTAL_BYTES)
    mgr.__class__ = GuardedUploads
    for session_id in list(mgr.file_storage):  # sent before any uploader was drawn
        mgr.remove_session_files(session_id)


def check() -> None:
    """Raises ``HookMoved`` when what ``install`` replaces is not where it was."""
    names = AppSession.handle_backmsg.__code__.co_names
    if not hasattr(AppSession, "_handle_clear_cache_request") or (
            "_handle_clear_cache_request" not in names):
        raise HookMoved("AppSession no longer handles clear_cache in _handle_clear_cache_request")
    for name in ("add_file", "get_upload_urls", "remove_session_files"):
        if not callable(getattr(MemoryUploadedFileManager, name, None)):
            raise HookMoved(f"MemoryUploadedFileManager has no {name}")
    probe = MemoryUploadedFileManager("/probe")
    if not (isinstance(getattr(probe, "file_storage", None), dict)
            and isinstance(getattr(probe, "_total_bytes", None), int)):
        raise HookMoved("MemoryUploadedFileManager keeps its files elsewhere than file_storage "
                        "and _total_bytes")


def install() -> None:
    """Puts both hooks in place in this server (a no-op once done, or with no server). An
    upgrade that moved them is logged as an error once, and the pages run on without them."""
    global _failed
    # AppTest's runtime is a stand-in (a mock): no server, nothing to guard
    if _failed or not Runtime.exists() or type(Runtime.instance()) is not Runtime:
        return
    runtime = Runtime.instance()
    with _lock:
        if AppSession._handle_clear_cache_request is _refuse_clear_cache and isinstance(
                getattr(runtime, "_uploaded_file_mgr", None), GuardedUploads):
            return
        try:
            check()
            AppSession._handle_clear_cache_request = _refuse_clear_cache
            _guard_uploads(runtime)
        except HookMoved as exc:
            _failed = True
            _LOG.error("aeexplorer could not bound what visitors send this server: %s", exc)
