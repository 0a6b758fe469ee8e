"""A kernel manager that makes sure rapaio-jupyter-kernel 3.0.1 answers before nbconvert uses it.

The kernel sometimes never answers its first request, and the client then gives up with
``RuntimeError: Kernel didn't respond in 60 seconds``. Two causes were seen (on a busy 2-core
machine, about one start in four with Jupyter's default manager):

1. It binds its ZeroMQ sockets and starts its shell thread *before* it registers its message
   handlers (``Channels.connect``). A ``kernel_info_request`` arriving in that window kills the
   shell thread::

       Exception in thread "Shell-0" java.lang.NullPointerException: Cannot invoke
       "java.util.Map.get(Object)" because "this.handlers" is null

2. Less often, the shell thread runs but never sees a request, with no error at all.

This manager waits until all five ports accept connections and a little longer (which avoids the
first), then checks that the kernel answers a ``kernel_info_request`` within a short time and
starts it again if it does not (which recovers from the second), before ``start_kernel``
returns. Each event is reported on standard error.

``run_notebooks.sh`` uses it through
``--ExecutePreprocessor.kernel_manager_class=rapaio_startup.RapaioKernelManager`` with this
folder on ``PYTHONPATH``. It changes nothing once the kernel has answered.
"""
import asyncio
import socket
import sys
import time

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.session import Session


def _listening_ports():
    """TCP ports in LISTEN state, from /proc (Linux); None where /proc/net is not available."""
    ports = set()
    found = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":  # LISTEN
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
            found = True
        except OSError:
            pass
    return ports if found else None


def _bound(ip: str, ports) -> bool:
    """Whether every port is bound. Reads /proc on Linux rather than connecting: a connection that
    opens and closes without speaking ZeroMQ is one more peer for the kernel's sockets to handle."""
    listening = _listening_ports()
    if listening is not None:
        return all(p in listening for p in ports)
    for port in ports:
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                pass
        except OSError:
            return False
    return True


class RapaioKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose ``start_kernel`` returns once the kernel answers requests."""

    #: seconds to wait after every port is bound (the handlers are registered right after)
    settle_seconds = 2.0
    #: give up waiting for the ports after this long; the readiness check then fails
    bind_timeout_seconds = 120.0
    #: how long a started kernel gets to answer its first kernel_info_request
    ready_timeout_seconds = 10.0
    #: kernel starts before giving up (the caller's own start-up timeout then reports it)
    start_attempts = 4

    async def _wait_for_ports(self) -> None:
        ports = [self.shell_port, self.iopub_port, self.stdin_port, self.control_port, self.hb_port]
        deadline = time.monotonic() + self.bind_timeout_seconds
        while not _bound(self.ip, ports):
            if time.monotonic() > deadline or not await self.is_alive():
                return
            await asyncio.sleep(0.1)
        await asyncio.sleep(self.settle_seconds)

    async def _answers(self) -> bool:
        # A session of its own: a client made with the manager's session would connect with the
        # same ZeroMQ identity as the client nbclient makes next, and the kernel's ROUTER socket
        # drops a second peer with an identity it still holds, so that client would never be
        # answered.
        session = Session(key=self.session.key, signature_scheme=self.session.signature_scheme)
        client = self.client(session=session)
        client.start_channels()
        try:
            await client._async_wait_for_ready(timeout=self.ready_timeout_seconds)
            return True
        except RuntimeError:
            return False
        finally:
            client.stop_channels()

    async def _async_start_kernel(self, **kw):
        for attempt in range(1, self.start_attempts + 1):
            await super()._async_start_kernel(**kw)
            await self._wait_for_ports()
            if await self._answers():
                if attempt > 1:
                    print(f"[rapaio_startup] kernel answered on start {attempt}", file=sys.stderr, flush=True)
                return
            print(f"[rapaio_startup] kernel start {attempt} did not answer within "
                  f"{self.ready_timeout_seconds:.0f} s; starting it again", file=sys.stderr, flush=True)
            await self._async_shutdown_kernel(now=True, restart=True)
        # the last start did not answer either: leave it running; the caller's timeout reports it
        await super()._async_start_kernel(**kw)

    start_kernel = _async_start_kernel
