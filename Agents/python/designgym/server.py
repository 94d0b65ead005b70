"""A private `gym serve` for one Python process: started on an ipc endpoint in a temporary folder, stopped
when closed (or when Python exits)."""

import atexit
import os
import select
import shutil
import subprocess
import tempfile


def gym_binary():
    """The `gym` executable: $DESIGNGYM_GYM, or `gym` on PATH; None when neither is there."""
    explicit = os.environ.get("DESIGNGYM_GYM")
    if explicit:
        return explicit if os.path.exists(explicit) else None
    return shutil.which("gym")


class PrivateServer:
    """`gym serve` serving `environments` on an ipc socket only this user can reach."""

    def __init__(self, environments, extra_arguments=(), start_timeout=60.0):
        binary = gym_binary()
        if binary is None:
            raise RuntimeError("no `gym` binary to start a server with: put it on PATH or set DESIGNGYM_GYM, "
                               "or give an endpoint of a running `gym serve`")
        self.folder = tempfile.mkdtemp(prefix="designgym-")
        arguments = [binary, "serve", "--bind", f"ipc://{self.folder}/gym.sock"]
        for environment in environments:
            arguments += ["--env", environment]
        arguments += list(extra_arguments)
        self.process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], start_timeout)
        line = self.process.stdout.readline() if ready else ""
        if " on ipc://" not in line:
            self.close()
            raise RuntimeError(f"`{' '.join(arguments)}` did not start: {line or self.process.stderr.read()}")
        self.endpoint = line.split(" on ")[1].split(" ")[0]
        atexit.register(self.close)

    def close(self):
        """Stops the server and removes its folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
