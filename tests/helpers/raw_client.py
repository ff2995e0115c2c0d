"""A raw Streamlit client: what a hostile visitor can send a server without a browser, in a few
lines per probe. It speaks Streamlit's own websocket protocol (the ``BackMsg`` / ``ForwardMsg``
protobufs that ship inside streamlit) through ``websockets``, and PUTs files to the upload
endpoint with its own XSRF token as cookie and header, as the issue-28 probes did.

    s = RawSession.open(url)                 # a session, its first run done
    s.rerun("anomalies")                     # a page's run, the messages it sent back
    ids = s.file_urls(["a.png"])             # file ids the server issued to this session
    s.put("made-up-id", b"x" * 10_000_000)   # the HTTP status of an upload
    s.clear_cache(); s.widget("any-id", "x" * 20_000_000)
    s.rerun("train", [pressed(widget_ids(msgs)["train_start"])])   # a button pressed
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

XSRF_COOKIE = "_streamlit_xsrf"


def xsrf_token(url: str) -> str:
    """The XSRF cookie the server gives anyone who asks its health (a visitor's own token)."""
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as r:
        for header in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == XSRF_COOKIE:
                return rest.split(";", 1)[0]
    raise RuntimeError("the server set no XSRF cookie")


@dataclass
class RawSession:
    url: str
    ws: ClientConnection
    token: str
    session_id: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # url path name -> page script hash
    _next: int = 0

    @classmethod
    def open(cls, url: str, headers: dict[str, str] | None = None,
             first_run: bool = True, max_size: int | None = None) -> RawSession:
        """A connected session (the XSRF token fetched first); with ``first_run``, its first
        run requested and waited for, as a browser does on load. ``headers``: extra ones for
        the websocket's handshake (an X-Forwarded-For, say)."""
        token = xsrf_token(url)
        ws_url = "ws" + url[len("http"):] + "/_stcore/stream"
        ws = connect(ws_url, subprotocols=["streamlit", token], max_size=max_size,
                     additional_headers={"Cookie": f"{XSRF_COOKIE}={token}", **(headers or {})},
                     open_timeout=60, legacy=True)
        s = cls(url, ws, token)
        if first_run:
            s.rerun()
        return s

    def send(self, msg: BackMsg) -> None:
        self.ws.send(msg.SerializeToString())

    def receive(self, timeout: float) -> ForwardMsg:
        msg = ForwardMsg()
        msg.ParseFromString(self.ws.recv(timeout=timeout))
        if msg.WhichOneof("type") == "new_session":
            self.session_id = msg.new_session.initialize.session_id
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.new_session.app_pages}
        return msg

    def until(self, kind: str, timeout: float = 120) -> list[ForwardMsg]:
        """The messages up to and including the first of type ``kind``."""
        deadline, got = time.monotonic() + timeout, []
        while True:
            got.append(self.receive(max(0.01, deadline - time.monotonic())))
            if got[-1].WhichOneof("type") == kind:
                return got

    def rerun(self, page: str = "", widgets: list | None = None,
              timeout: float = 120) -> list[ForwardMsg]:
        """A run of the page at url path ``page`` ("" the default page), with ``widgets``
        (WidgetState protos) as its widget values; the messages the run sent."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = page
        if page in self.pages:
            msg.rerun_script.page_script_hash = self.pages[page]
        for w in widgets or []:
            msg.rerun_script.widget_states.widgets.append(w)
        self.send(msg)
        return self.until("script_finished", timeout)

    def widget(self, widget_id: str, text: str) -> None:
        """A rerun carrying one widget value of ``text`` (not waited for: the server may close
        the connection instead, even before the value is all sent: see ``closed``)."""
        msg = BackMsg()
        w = msg.rerun_script.widget_states.widgets.add()
        w.id, w.string_value = widget_id, text
        try:
            self.send(msg)
        except (ConnectionClosed, OSError):
            pass

    def clear_cache(self) -> None:
        msg = BackMsg()
        msg.clear_cache = True
        self.send(msg)

    def file_urls(self, names: list[str], timeout: float = 60) -> list[str]:
        """File ids the server issues this session for ``names``, as an uploader asks."""
        self._next += 1
        msg = BackMsg()
        msg.file_urls_request.request_id = f"r{self._next}"
        msg.file_urls_request.session_id = self.session_id
        msg.file_urls_request.file_names.extend(names)
        self.send(msg)
        reply = self.until("file_urls_response", timeout)[-1].file_urls_response
        return [u.file_id for u in reply.file_urls]

    def put(self, file_id: str, data: bytes, name: str = "x.png") -> int:
        """PUT ``data`` as a file under ``file_id`` of this session: the HTTP status."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n").encode()
        body += data + f"\r\n--{boundary}--\r\n".encode()
        parts = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        try:
            conn.request("PUT", f"/_stcore/upload_file/{self.session_id}/{file_id}", body, {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-Xsrftoken": self.token, "Cookie": f"{XSRF_COOKIE}={self.token}"})
            return conn.getresponse().status
        finally:
            conn.close()

    def closed(self, timeout: float = 30) -> bool:
        """Whether the server closes this connection within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.receive(max(0.01, deadline - time.monotonic()))
        except ConnectionClosed:
            return True
        except TimeoutError:
            return False
        return False

    def close(self) -> None:
        self.ws.close()


def texts(msgs: list[ForwardMsg]) -> str:
    """Everything the messages show, as one string to search (spinners, markdown, alerts)."""
    return "\n".join(str(m.delta) for m in msgs if m.WhichOneof("type") == "delta")


def widget_ids(msgs: list[ForwardMsg]) -> dict[str, str]:
    """The ids of the keyed widgets the messages drew, by key (``$$ID-<hash>-<key>``)."""
    found = {}
    for m in msgs:
        if m.WhichOneof("type") != "delta" or not m.delta.HasField("new_element"):
            continue
        element = m.delta.new_element
        kind = element.WhichOneof("type")
        widget_id = getattr(getattr(element, kind), "id", "") if kind else ""
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            found[widget_id.split("-", 2)[2]] = widget_id
    return found


def pressed(widget_id: str) -> WidgetState:
    """A button's press, as a rerun's widget value."""
    w = WidgetState()
    w.id, w.trigger_value = widget_id, True
    return w
