"""A small Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (stdlib only).

Chromium reads protocol commands from its file descriptor 3 and writes replies and events
to descriptor 4, as NUL-terminated JSON messages. This lets the browser tests load a page,
answer its network requests, read its console, run script and take screenshots without
selenium or a websocket library.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["Browser", "find_chromium"]


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Headless Chromium driven through the DevTools protocol pipe.

    Use as a context manager. :meth:`open` loads a URL in a fresh tab and returns a
    :class:`Page`.
    """

    def __init__(self, binary: str, width: int = 1200, height: int = 900):
        self.width, self.height = width, height
        self._profile = tempfile.mkdtemp(prefix="rz-chromium-")
        cmd_read, self._cmd_write = os.pipe()
        self._out_read, out_write = os.pipe()

        def remap() -> None:  # runs in the child: put the pipe ends on fds 3 and 4
            a = fcntl.fcntl(cmd_read, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(out_write, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile}",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--mute-audio",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=remap,
            pass_fds=(3, 4),
        )
        os.close(cmd_read)
        os.close(out_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.handlers: dict[str, Callable[[dict], None]] = {}

    # -- protocol ------------------------------------------------------------------------
    def _post(self, method: str, params: dict | None, session: str | None) -> int:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_write, json.dumps(msg).encode() + b"\0")
        return self._next_id

    def _pump(self, timeout: float) -> list[dict]:
        ready, _, _ = select.select([self._out_read], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(self._out_read, 1 << 20)
        if not chunk:
            raise RuntimeError("Chromium closed the DevTools pipe")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        out = []
        for raw in messages:
            msg = json.loads(raw)
            if "method" in msg:
                self.events.append(msg)
                handler = self.handlers.get(msg["method"])
                if handler:
                    handler(msg)
            out.append(msg)
        return out

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:  # fmt: skip
        """Send a command and wait for its result (events seen meanwhile are kept)."""
        wanted = self._post(method, params, session)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self._pump(0.2):
                if msg.get("id") == wanted:
                    if "error" in msg:
                        raise RuntimeError(f"{method} failed: {msg['error']}")
                    return msg.get("result", {})
        raise TimeoutError(f"no reply to {method} within {timeout} s")

    def notify(self, method: str, params: dict | None = None, session: str | None = None):
        """Send a command without waiting for its result."""
        self._post(method, params, session)

    def wait_event(self, method: str, session: str | None, timeout: float = 30.0) -> dict:
        """Wait for an event (one already received counts)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for ev in self.events[seen:]:
                if ev["method"] == method and ev.get("sessionId") == session:
                    return ev
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            self._pump(0.2)

    # -- pages ---------------------------------------------------------------------------
    def open(self, url: str, on_request: Callable[[str], tuple[bytes, str] | None] | None = None):
        """Open ``url`` in a new tab and wait for its load event.

        ``on_request(url)`` is asked about every http(s) request: return (body, MIME type)
        to answer it, or None to make it fail. Without it, http(s) requests fail.
        """
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method, session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.send(
            "Fetch.enable",
            {"patterns": [{"urlPattern": "http://*"}, {"urlPattern": "https://*"}]},
            session=session,
        )

        def paused(ev: dict) -> None:
            if ev.get("sessionId") != session:
                return
            p = ev["params"]
            answer = on_request(p["request"]["url"]) if on_request else None
            page.intercepted.append(p["request"]["url"])
            if answer is None:
                self.notify(
                    "Fetch.failRequest",
                    {"requestId": p["requestId"], "errorReason": "BlockedByClient"},
                    session,
                )
                return
            body, mime = answer
            self.notify(
                "Fetch.fulfillRequest",
                {
                    "requestId": p["requestId"],
                    "responseCode": 200,
                    "responseHeaders": [
                        {"name": "Content-Type", "value": mime},
                        {"name": "Access-Control-Allow-Origin", "value": "*"},
                    ],
                    "body": base64.b64encode(body).decode("ascii"),
                },
                session,
            )

        self.handlers["Fetch.requestPaused"] = paused
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session, timeout=60)
        return page

    def close(self) -> None:
        try:
            self.notify("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=10)
        finally:
            os.close(self._cmd_write)
            os.close(self._out_read)
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    """One tab: run script, take screenshots, read console errors and requests."""

    def __init__(self, browser: Browser, session: str):
        self.browser = browser
        self.session = session
        self.intercepted: list[str] = []

    def evaluate(self, expression: str, timeout: float = 30.0):
        """Value of a JavaScript expression (promises are awaited)."""
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def settle(self, ms: int = 250) -> None:
        """Wait for two more paints and then ``ms`` (Leaflet's fades take 200 ms)."""
        self.evaluate(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => "
            f"setTimeout(r, {int(ms)}))))"
        )

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(
            self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)[
                "data"
            ]
        )
        Path(path).write_bytes(data)
        return data

    def _events(self, method: str) -> list[dict]:
        return [
            e["params"]
            for e in self.browser.events
            if e["method"] == method and e.get("sessionId") == self.session
        ]

    def console_errors(self) -> list[str]:
        """Uncaught exceptions, console.error calls and error log entries."""
        out = [
            e["exceptionDetails"].get("exception", {}).get("description")
            or e["exceptionDetails"].get("text", "exception")
            for e in self._events("Runtime.exceptionThrown")
        ]
        out += [
            " ".join(str(a.get("value", a.get("description", ""))) for a in e["args"])
            for e in self._events("Runtime.consoleAPICalled")
            if e["type"] in ("error", "assert")
        ]
        out += [
            f"{e['entry']['source']}: {e['entry']['text']} {e['entry'].get('url', '')}"
            for e in self._events("Log.entryAdded")
            if e["entry"]["level"] == "error"
        ]
        return out

    def requests(self) -> list[str]:
        """URLs of every request the page made."""
        return [e["request"]["url"] for e in self._events("Network.requestWillBeSent")]


def _mouse(page: Page, kind: str, x: float, y: float) -> None:
    page.browser.send(
        "Input.dispatchMouseEvent",
        {"type": kind, "x": x, "y": y, "button": "left" if kind != "mouseMoved" else "none",
         "clickCount": 1 if kind != "mouseMoved" else 0},
        session=page.session,
    )  # fmt: skip


def hover(page: Page, x: float, y: float) -> None:
    """Move the mouse to (x, y)."""
    _mouse(page, "mouseMoved", x, y)


def click(page: Page, x: float, y: float) -> None:
    """Click at (x, y)."""
    _mouse(page, "mouseMoved", x, y)
    _mouse(page, "mousePressed", x, y)
    _mouse(page, "mouseReleased", x, y)
