"""Run the server in a background thread on 127.0.0.1 and a free port.

Used by the desktop client's embedded mode and by the tests: the port is bound before the thread
starts, so the URL is known at once and never races another process for the port.
"""

from __future__ import annotations

import socket
import threading
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI


class StreamAwareServer(uvicorn.Server):
    """uvicorn, ending the app's live streams as soon as a shutdown begins (they never end otherwise)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        state = getattr(getattr(self.config.app, "state", None), "apptdesk", None)
        if state is not None:
            state.stop_streams()
        super().handle_exit(sig, frame)


class ServerThread:
    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        self._app = app
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=3
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name=f"apptdesk-server:{self.port}", daemon=True)
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported to the starter through wait_started
            self.error = exc

    def start(self, timeout: float = 20.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self.error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the embedded server did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("the embedded server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        state = getattr(self._app.state, "apptdesk", None)
        if state is not None:
            state.stop_streams()  # open event streams would otherwise hold the shutdown up
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()
