"""Environments hosted in Python: designgym.serve driven by gym (run, check, sweep) and by the client, and
designgym.work as the workers of a gym broker."""

import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from conftest import gym, gym_binary

import designgym as dg
from designgym.host import Host
from hosted_toy import Toy

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def hosted():
    """A designgym.serve host of Toy-v1 on a free loopback port, in a thread of this process."""
    host = Host(Toy(), "tcp://127.0.0.1:*")
    thread = threading.Thread(target=host.run, daemon=True)
    thread.start()
    yield host.endpoint
    host.stop()
    thread.join(timeout=10)


def trials(database):
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT status, design, metrics, worker FROM trials ORDER BY experiment_id, number").fetchall()


def test_a_python_host_passes_the_conformance_checks_over_the_wire(hosted):
    checked = gym("check", "--remote", hosted, "--samples", "6")
    assert checked.stdout.startswith("ok    Toy-v1"), checked.stdout


def test_gym_check_remote_finds_a_host_that_does_not_validate(hosted):
    # A host whose environment accepts any design: the wire checks must say so.
    class Careless(Toy):
        id = "Careless-v1"

        def check_design(self, design):
            return dict(design)

    host = Host(Careless(), "tcp://127.0.0.1:*")
    thread = threading.Thread(target=host.run, daemon=True)
    thread.start()
    try:
        checked = gym("check", "--remote", host.endpoint, "--samples", "2", check=False)
    finally:
        host.stop()
    assert checked.returncode == 1
    assert "FAIL  Careless-v1" in checked.stdout
    assert "invalid designs are rejected" in checked.stdout


def test_gym_run_remote_searches_a_python_environment_and_logs_every_trial(hosted, tmp_path):
    database = tmp_path / "toy.sqlite"
    gym("run", "--remote", hosted, "--env", "Toy-v1", "--agent", "bayesian", "--budget", "10", "--seed", "3", "--db", database)
    rows = trials(database)
    assert len(rows) == 10
    for status, design_text, metrics_text, _ in rows:
        design, metrics = json.loads(design_text), json.loads(metrics_text)
        if status == "ok":
            # The closed forms of hosted_toy.py, checked trial by trial.
            assert metrics["cost"] == design["width"] * design["depth"] + (10 if design["mode"] == "fast" else 0)
            assert metrics["score"] == pytest.approx(design["width"] * design["rate"])
        else:
            assert status in ("infeasible", "failed")
    spec = json.loads(gym("describe", "Toy-v1", "--json", check=False).stdout or "null")
    assert spec is None  # this gym has no Toy-v1 of its own: the run only reached it through the host


def test_gym_sweep_remote_reaches_the_host(hosted, tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("name: toy\nenvironments: [{id: Toy-v1}]\nagents: [{id: random}]\nseeds: [1, 2]\nbudget: 4\n")
    database = tmp_path / "sweep.sqlite"
    done = gym("sweep", sweep, "--remote", hosted, "--db", database)
    assert len(trials(database)) == 8, done.stdout


def test_the_host_reports_statuses_and_refuses_what_the_spec_does_not_allow(hosted):
    client = dg.Client(hosted)
    assert client.served == ["Toy-v1"]
    session = client.open("Toy-v1", workload="double", options={"scale": 3})
    base = {"width": 4, "depth": 2, "rate": 1.5, "mode": "slow"}
    evaluations = session.evaluate([
        base,
        dict(base, width=64, depth=8),      # 512 > 256: breaks the constraint
        dict(base, width=13),               # Infeasible raised by evaluate
        dict(base, mode="broken"),          # an exception
        dict(base, mode="lost"),            # a declared metric missing
    ])
    assert [e["status"] for e in evaluations] == ["ok", "infeasible", "infeasible", "failed", "failed"]
    # score = 4 · 1.5 · 2 (double) · 3 (scale) = 36; cost = 4 · 2 = 8, reward −8 (cost:min).
    assert evaluations[0]["metrics"] == {"cost": 8.0, "score": 36.0}
    assert evaluations[0]["reward"] == -8.0
    assert "width × depth may be 256 at most" in evaluations[1]["message"]
    assert "13 lanes cannot be routed" in evaluations[2]["message"]
    assert "broke on purpose" in evaluations[3]["message"]
    assert "'score'" in evaluations[4]["message"]
    with pytest.raises(dg.ProtocolError) as refused:
        session.evaluate([base, dict(base, depth=3)])
    assert refused.value.code == "invalid_design"
    assert refused.value.details == {"parameter": "depth", "index": 1}
    with pytest.raises(dg.ProtocolError) as refused:
        client.open("Toy-v1", workload="triple")
    assert refused.value.code == "invalid_option" and refused.value.details == {"workload": "triple"}
    with pytest.raises(dg.ProtocolError) as refused:
        client.open("Toy-v1", options={"colour": "red"})
    assert refused.value.code == "invalid_option" and refused.value.details == {"option": "colour"}
    with pytest.raises(dg.ProtocolError) as refused:
        client.request("open_study", environment="Toy-v1", agent="random")
    assert refused.value.code == "unknown_op"
    session.close()


def test_the_host_answers_others_while_an_evaluation_runs(hosted, monkeypatch):
    monkeypatch.setenv("TOY_SLEEP", "2")
    slow = dg.Client(hosted)
    session = slow.open("Toy-v1")
    result = {}
    worker = threading.Thread(target=lambda: result.update(session.evaluate([{"width": 2, "depth": 1, "rate": 1, "mode": "sleepy"}])[0]))
    worker.start()
    time.sleep(0.3)
    other = dg.Client(hosted)
    started = time.monotonic()
    assert other.request("ping") == {"pong": True}
    assert time.monotonic() - started < 1.0
    worker.join(timeout=30)
    assert result["status"] == "ok"


def test_a_host_binds_to_loopback_unless_told_otherwise():
    with pytest.raises(ValueError, match="allow_remote"):
        Host(Toy(), "tcp://0.0.0.0:5999")


def test_a_spec_must_be_sound():
    with pytest.raises(ValueError, match="default"):
        dg.integer("n", 1, 8, step=2, default=4)  # 4 is not on the grid 1, 3, 5, 7
    with pytest.raises(ValueError, match="ascending"):
        dg.ordinal("size", [4, 2, 8])

    class Nameless(dg.Environment):
        parameters = [dg.integer("n", 1, 2)]
        metrics = [dg.metric("m", "1")]

    with pytest.raises(ValueError, match="set id"):
        Host(Nameless(), "tcp://127.0.0.1:*")


def start_worker(endpoint):
    return subprocess.Popen([sys.executable, os.path.join(HERE, "hosted_toy.py"), "--connect", endpoint],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, TOY_SLEEP="6"))


def test_python_workers_serve_a_broker_and_replace_themselves_after_a_timeout(serve, tmp_path):
    database = tmp_path / "broker.sqlite"
    broker = serve("--env", "Branin-v0", "--hosted-env", "Toy-v1", "--timeout", "2", "--db", database, command="broker")
    workers = [start_worker(broker.workers_endpoint) for _ in range(2)]
    try:
        hello = dg.Client(broker.endpoint).hello()
        assert hello["environments"] == ["Branin-v0", "Toy-v1"]
        run_db = tmp_path / "run.sqlite"
        gym("run", "--remote", broker.endpoint, "--env", "Toy-v1", "--agent", "genetic", "--batch-size", "4", "--budget", "12",
            "--db", run_db)
        rows = trials(run_db)
        assert len(rows) == 12
        # The broker logged the same trials (its Branin-v0 has no worker: only the Python ones ran these).
        assert sorted(row[1] for row in trials(database)) == sorted(row[1] for row in rows)
        # An evaluation past the broker's 2 s limit is a timeout, and its worker starts afresh.
        session = dg.Client(broker.endpoint).open("Toy-v1")
        [late] = session.evaluate([{"width": 2, "depth": 1, "rate": 1.0, "mode": "sleepy"}])
        assert late["status"] == "timeout"
        [after] = session.evaluate([{"width": 3, "depth": 1, "rate": 1.0, "mode": "slow"}] * 1)
        assert after["status"] == "ok" and after["metrics"]["cost"] == 3
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


def test_a_broker_names_hosted_environments_that_are_not_its_own(tmp_path):
    refused = gym("broker", "--hosted-env", "Branin-v0", "--bind", "tcp://127.0.0.1:*", "--workers-bind", "tcp://127.0.0.1:*", check=False)
    assert refused.returncode != 0
    assert "DesignGym has an environment with that id" in refused.stderr


def test_a_served_command_environment_is_only_what_the_operator_named(serve, tmp_path):
    spec = tmp_path / "echo.yaml"
    spec.write_text(
        "id: Echo-v1\nsummary: echoes x\nparameters: [{name: x, type: integer, lower: 0, upper: 9, default: 1}]\n"
        "metrics: [{name: y, unit: '1', goal: minimize}]\nrun: {command: [sh, -c, 'echo y={x}']}\n"
        "metrics_from: {y: {regex: 'y=([0-9]+)'}}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: Broken-v1\n")
    refused = gym("serve", "--env", f"Command:{broken}", "--bind", "tcp://127.0.0.1:*", check=False)
    assert refused.returncode == 1 and "broken.yaml" in refused.stderr
    served = serve("--env", "Branin-v0")
    client = dg.Client(served.endpoint)
    with pytest.raises(dg.ProtocolError) as refused:
        client.open(f"Command:{spec}")
    assert refused.value.code == "unknown_environment"
    named = serve("--env", f"Command:{spec}")
    session = dg.Client(named.endpoint).open(f"Command:{spec}")
    [evaluation] = session.evaluate([{"x": 7}])
    assert evaluation["status"] == "ok" and evaluation["metrics"] == {"y": 7.0}


def test_a_broker_serves_a_command_environment_with_its_workers(serve, tmp_path):
    spec = tmp_path / "square.yaml"
    spec.write_text(
        "id: Square-v1\nsummary: squares x\nparameters: [{name: x, type: integer, lower: 0, upper: 9, default: 1}]\n"
        "metrics: [{name: y, unit: '1', goal: minimize}]\nrun: {command: [sh, -c, 'echo y=$(( {x} * {x} ))']}\n"
        "metrics_from: {y: {regex: 'y=([0-9]+)'}}\n")
    broker = serve("--env", f"Command:{spec}", command="broker")
    worker = subprocess.Popen([gym_binary(), "worker", "--connect", broker.workers_endpoint],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        session = dg.Client(broker.endpoint).open(f"Command:{spec}")
        evaluations = session.evaluate([{"x": 3}, {"x": 7}])
        assert [e["metrics"] for e in evaluations] == [{"y": 9.0}, {"y": 49.0}]
    finally:
        worker.terminate()
        worker.wait(timeout=10)
