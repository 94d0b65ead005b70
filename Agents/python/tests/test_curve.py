import select
import subprocess

import pytest
import zmq

from conftest import gym_binary
from designgym import Client, ProtocolError


def test_curve_server_answers_only_clients_with_its_key(tmp_path):
    # The pyzmq wheels the project installs bundle libzmq with CURVE; without it this test must fail, not skip.
    assert zmq.has("curve"), "pyzmq was built without CURVE; install pyzmq from its PyPI wheel"
    name = str(tmp_path / "server")
    subprocess.run([gym_binary(), "keygen", name], check=True, capture_output=True)
    process = subprocess.Popen([gym_binary(), "serve", "--env", "Branin-v0", "--bind", "tcp://127.0.0.1:*",
                                "--curve-secret", name + ".secret"], stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "gym serve printed nothing within 30 s"
        line = process.stdout.readline()
        assert "CURVE" in line, line
        endpoint = line.split(" on ")[1].split(" ")[0]
        client = Client(endpoint, timeout=5, curve_server_key=name + ".pub")
        assert client.request("ping") == {"pong": True}
        with pytest.raises(ProtocolError) as refused:
            Client(endpoint, timeout=0.5, connect_timeout=0.5)  # without the server's key: no answer
        assert refused.value.code == "timeout"
    finally:
        process.terminate()
        process.wait(timeout=10)
