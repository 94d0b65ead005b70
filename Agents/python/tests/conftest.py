import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "Agents" / "python"))


def gym_binary():
    explicit = os.environ.get("GYM_BIN")
    if explicit:
        return explicit
    for candidate in [ROOT / ".build" / "debug" / "gym", ROOT / ".build" / "release" / "gym"]:
        if candidate.exists():
            return str(candidate)
    pytest.fail("no gym binary: build it with `swift build` (or set GYM_BIN)")


@pytest.fixture(scope="session")
def server():
    """A real `gym serve` on a free loopback port, for the whole test session."""
    process = subprocess.Popen([gym_binary(), "serve", "--bind", "tcp://127.0.0.1:*"], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert " on tcp://" in line, f"unexpected first line from gym serve: {line!r}"
    endpoint = line.split(" on ")[1].split(" ")[0]
    yield endpoint
    process.terminate()
    process.wait(timeout=10)
