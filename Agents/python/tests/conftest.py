import os
import pathlib
import select
import signal
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "Agents" / "python"))
EXAMPLES = ROOT / "Agents" / "python" / "examples"


def gym_binary():
    explicit = os.environ.get("GYM_BIN")
    if explicit:
        return explicit
    for candidate in [ROOT / ".build" / "debug" / "gym", ROOT / ".build" / "release" / "gym"]:
        if candidate.exists():
            return str(candidate)
    pytest.fail("no gym binary: build it with `swift build` (or set GYM_BIN)")


# `import designgym` registers the environments this binary serves, and private servers start it.
os.environ.setdefault("DESIGNGYM_GYM", gym_binary())


class Served:
    """A `gym serve` (or `gym broker`) process on a free loopback port."""

    def __init__(self, arguments, command="serve"):
        binds = ["--bind", "tcp://127.0.0.1:*"] + (["--workers-bind", "tcp://127.0.0.1:*"] if command == "broker" else [])
        self.process = subprocess.Popen([gym_binary(), command] + binds + list(arguments),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        assert " on tcp://" in line, f"unexpected first line from gym {command}: {line!r} {self.process.stderr.read() if not ready else ''}"
        endpoints = [word.strip(".,;") for word in line.split() if word.startswith("tcp://")]
        self.endpoint = endpoints[0]
        self.workers_endpoint = endpoints[1] if len(endpoints) > 1 else None

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def serve():
    """Starts servers for one test: serve(*arguments, command="serve") → Served; all stopped after it."""
    started = []

    def start(*arguments, command="serve"):
        served = Served(arguments, command)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def gym(*arguments, check=True):
    """Runs `gym` and returns the completed process (text output)."""
    completed = subprocess.run([gym_binary()] + [str(a) for a in arguments], capture_output=True, text=True, timeout=600)
    if check:
        assert completed.returncode == 0, f"gym {' '.join(map(str, arguments))}: {completed.stderr}"
    return completed


@pytest.fixture(scope="session")
def server():
    """A real `gym serve` on a free loopback port, for the whole test session."""
    served = Served([])
    yield served.endpoint
    served.stop()
