"""Everything that drives an evaluation leaves it in the store: sessions and studies on `gym serve --db`."""

import json
import os
import random
import sqlite3
import subprocess
import sys
import time

import pytest
import zmq

from conftest import EXAMPLES, gym
from designgym import Client, ProtocolError, Study


def experiments(db):
    """Every experiment of a database, as `gym export` and `gym show` see them."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT id, agent_id, driver, status, name, agent_hyperparameters FROM experiments ORDER BY id").fetchall()
    return [dict(zip(["id", "agent", "driver", "status", "name", "settings"], row)) for row in rows]


def trials(db, experiment):
    """An experiment's trials as `gym export --format jsonl` writes them."""
    text = gym("export", "--format", "jsonl", "--experiment", experiment, "--db", db).stdout
    return [json.loads(line) for line in text.splitlines() if line]


def run_example(script, *arguments):
    environment = dict(os.environ, PYTHONPATH=str(EXAMPLES.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    completed = subprocess.run([sys.executable, str(EXAMPLES / script)] + [str(a) for a in arguments],
                               capture_output=True, text=True, timeout=600, env=environment)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_scripts_are_experiments_next_to_a_gym_run(serve, tmp_path):
    db = tmp_path / "gym.sqlite"
    served = serve("--env", "Branin-v0", "--db", db)
    gym("run", "--env", "Branin-v0", "--agent", "random", "--budget", 12, "--db", db, "--progress", "none")
    assert "best reward" in run_example("optuna_study.py", "--endpoint", served.endpoint, "--env", "Branin-v0", "--trials", 12, "--name", "tpe")
    assert "best reward" in run_example("study_own_simulator.py", "--endpoint", served.endpoint, "--budget", 12)
    logged = experiments(db)
    assert [(e["agent"], e["driver"], e["status"]) for e in logged] == [
        ("random", "run", "completed"), ("optuna-tpe", "session", "completed"), ("bayesian", "study", "completed")]
    assert logged[1]["name"] == "tpe" and json.loads(logged[1]["settings"])["sampler"] == "TPESampler"
    # The Optuna study's trials, numbered in request order, each with its design and metrics.
    tpe = trials(db, 2)
    assert [t["trial"] for t in tpe] == list(range(12))
    assert all(t["status"] == "ok" and "value" in t and t["worker"] in ("serve", "cache") for t in tpe)
    # gym show and gym report treat them as they treat gym run's.
    shown = gym("show", "2", "--db", db).stdout
    assert "optuna-tpe on Branin-v0" in shown
    report = gym("report", "--experiment", 1, "--experiment", 2, "--experiment", 3, "--format", "markdown", "--db", db).stdout
    for agent in ("random", "optuna-tpe", "bayesian"):
        assert agent in report, report


def test_a_session_whose_client_vanishes_ends_interrupted(serve, tmp_path):
    db = tmp_path / "gym.sqlite"
    served = serve("--env", "Branin-v0", "--db", db, "--idle-timeout", "1")
    session = Client(served.endpoint).open("Branin-v0", agent="vanishing")
    session.evaluate([{"x1": 1, "x2_steps": 1, "variant": "standard"}])
    time.sleep(3)  # the client is gone: no close, no request
    assert [(e["agent"], e["status"]) for e in experiments(db)] == [("vanishing", "interrupted")]
    assert len(trials(db, 1)) == 1


def test_a_client_that_disconnects_mid_batch_loses_nothing(serve, tmp_path):
    db = tmp_path / "gym.sqlite"
    served = serve("--env", "Branin-v0", "--db", db)
    session = Client(served.endpoint).open("Branin-v0", options={"delay": 0.2})
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 1000)
    socket.connect(served.endpoint)
    designs = [{"x1": x, "x2_steps": 1, "variant": "standard"} for x in (0, 1, 2, 3)]
    socket.send(json.dumps({"protocol": "designgym/1", "id": 1, "op": "evaluate", "session": session.id, "designs": designs}).encode())
    time.sleep(0.1)
    socket.close()  # gone before the reply
    time.sleep(2)
    assert [t["x1"] for t in trials(db, 1)] == [0, 1, 2, 3]


@pytest.mark.parametrize("agent, hyperparameters", [("bayesian", {"initial_points": 4, "candidates": 200}), ("genetic", {"population": 4})])
def test_a_server_killed_mid_study_keeps_what_it_answered_and_the_study_resumes(serve, tmp_path, agent, hyperparameters):
    def branin(design):
        # The client's own evaluation of Branin (x2 = 0.025·x2_steps), as a simulator of its own would be.
        import math
        x1, x2 = design["x1"], 0.025 * design["x2_steps"]
        value = (x2 - 5.1 / (4 * math.pi ** 2) * x1 ** 2 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10
        return {"standard": value, "shifted": value + 1, "scaled": 2 * value + 0.5}[design["variant"]]

    def rounds(study, count):
        seen = []
        for _ in range(count):
            designs = study.suggest(2)
            seen.append(designs)
            study.observe_many([{"design": d, "metrics": {"value": branin(d)}} for d in designs])
        return seen

    options = dict(agent=agent, environment="Branin-v0", seed=11, hyperparameters=hyperparameters)
    reference = serve("--env", "Branin-v0", "--db", tmp_path / "reference.sqlite")
    whole = rounds(Study(reference.endpoint, **options), 5)

    db = tmp_path / "killed.sqlite"
    first = serve("--env", "Branin-v0", "--db", db)
    study = Study(first.endpoint, **options)
    before = rounds(study, 3)
    first.kill()
    # Every trial whose observation was answered is stored.
    assert [t["trial"] for t in trials(db, study.experiment)] == list(range(6))
    second = serve("--env", "Branin-v0", "--db", db)
    resumed = Study(second.endpoint, resume=study.experiment)
    assert resumed.info["observed"] == 6
    assert before + rounds(resumed, 2) == whole


def test_a_proxy_trained_on_trials_only_a_python_client_produced(serve, tmp_path):
    db = tmp_path / "gym.sqlite"
    served = serve("--env", "Branin-v0", "--db", db)
    session = Client(served.endpoint).open("Branin-v0", agent="numpy-random")
    generator = random.Random(5)
    designs = [{"x1": generator.uniform(-5, 10), "x2_steps": generator.randrange(601), "variant": generator.choice(["standard", "shifted", "scaled"])}
               for _ in range(200)]
    session.evaluate(designs)
    session.close()
    proxy = tmp_path / "branin.proxy.json"
    trained = gym("proxy", "train", "--env", "Branin-v0", "--db", db, "--out", proxy)
    assert "on 200 designs from 1 experiment(s)" in trained.stdout
    assert "value" in gym("proxy", "eval", proxy, "--designs", 20).stdout


def test_a_broker_logs_its_sessions_with_the_evaluations_its_workers_made(serve, tmp_path):
    db = tmp_path / "gym.sqlite"
    broker = serve("--env", "Branin-v0", "--db", db, command="broker")
    worker = subprocess.Popen([os.environ["DESIGNGYM_GYM"], "worker", "--connect", broker.workers_endpoint])
    try:
        session = Client(broker.endpoint).open("Branin-v0", agent="via-broker", cache=False)
        session.evaluate([{"x1": x, "x2_steps": 10, "variant": "standard"} for x in (0, 1, 2)])
        session.close()
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert [(e["agent"], e["driver"], e["status"]) for e in experiments(db)] == [("via-broker", "session", "completed")]
    assert [t["worker"] for t in trials(db, 1)] == ["broker"] * 3


def test_study_errors_name_the_problem(serve, tmp_path):
    served = serve("--env", "Branin-v0", "--db", tmp_path / "gym.sqlite")
    study = Study(served.endpoint, agent="random", environment="Branin-v0")
    design = study.suggest()[0]
    cases = [
        ({"design": {"x1": 0.5, "x2_steps": 1, "variant": "standard"}, "metrics": {"value": 1}}, "invalid_observation", "never suggested"),
        ({"design": dict(design, x1=99), "metrics": {"value": 1}}, "invalid_design", "'x1' cannot be 99"),
        ({"design": design, "metrics": {"latency": 1}}, "invalid_observation", "has no finite 'value'"),
    ]
    for trial, code, text in cases:
        with pytest.raises(ProtocolError) as caught:
            study.observe_many([trial])
        assert caught.value.code == code and text in caught.value.message, caught.value.message
    for arguments, code in [(dict(agent="bayesain"), "unknown_agent"), (dict(agent="bayesian", hyperparameters={"xi": -1}), "invalid_hyperparameter")]:
        with pytest.raises(ProtocolError) as caught:
            Study(served.endpoint, environment="Branin-v0", **arguments)
        assert caught.value.code == code
    with pytest.raises(ProtocolError) as without_database:
        Study(serve("--env", "Branin-v0").endpoint, agent="random", environment="Branin-v0")
    assert "start it with --db FILE" in without_database.value.message
