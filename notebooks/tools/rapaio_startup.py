"""A kernel manager that lets rapaio-jupyter-kernel 3.0.1 finish starting before a client talks to it.

The kernel binds its ZeroMQ sockets and starts its shell thread *before* it registers its
message handlers (``Channels.connect``). A ``kernel_info_request`` that arrives in that window
kills the shell thread:

    Exception in thread "Shell-0" java.lang.NullPointerException: Cannot invoke
    "java.util.Map.get(Object)" because "this.handlers" is null

and the client then gives up with ``RuntimeError: Kernel didn't respond in 60 seconds``. With
Jupyter's default manager this happened to about one start in four on a busy 2-core machine.
This manager waits until all five ports accept connections and then a little longer before
returning from ``start_kernel``, so the first request arrives after the handlers exist.

Used by ``run_notebooks.sh`` through
``--ExecutePreprocessor.kernel_manager_class=rapaio_startup.RapaioKernelManager``
(with this folder on ``PYTHONPATH``). It changes nothing else.
"""
import asyncio
import socket
import time

from jupyter_client.manager import AsyncKernelManager


def _accepts(ip: str, port: int) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=0.5):
            return True
    except OSError:
        return False


class RapaioKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose ``start_kernel`` returns once the kernel is ready for requests."""

    #: seconds to wait after every port is bound (the handlers are registered right after)
    settle_seconds = 2.0
    #: give up waiting for the ports after this long; the client's own startup timeout then applies
    bind_timeout_seconds = 120.0

    async def _async_post_start_kernel(self, **kw):
        await super()._async_post_start_kernel(**kw)
        ports = [self.shell_port, self.iopub_port, self.stdin_port, self.control_port, self.hb_port]
        deadline = time.monotonic() + self.bind_timeout_seconds
        while not all(_accepts(self.ip, p) for p in ports):
            if time.monotonic() > deadline or not await self.is_alive():
                return
            await asyncio.sleep(0.1)
        await asyncio.sleep(self.settle_seconds)

    post_start_kernel = _async_post_start_kernel
