import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from designgym import Client, DesignGymEnv, ProtocolError

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_hello_lists_the_served_environments(server):
    hello = Client(server).hello()
    assert hello["protocol"] == "designgym/1"
    assert "Branin-v0" in hello["environments"] and "DiffusionSampler-v1" in hello["environments"]


def test_a_session_steps_and_reports_the_knapsack_optimum(server):
    session = Client(server).open("Knapsack-v0")
    session.reset(seed=1)
    result = session.step({"item1": 0, "item2": 0, "item3": 0, "item4": 3, "item5": 2, "item6": 3, "item7": 0, "item8": 1})
    # 3·10 + 2·2 + 3·7 + 13 = 68 at 3·4 + 2·1 + 3·3 + 7 = 30 kg.
    assert result["observation"] == [68, 30]
    assert result["terminated"] and not result["truncated"]
    session.close()


def test_errors_are_typed_and_name_the_parameter(server):
    client = Client(server)
    session = client.open("Branin-v0")
    session.reset()
    with pytest.raises(ProtocolError) as caught:
        session.step({"x1": 30, "x2_steps": 91, "variant": "standard"})
    assert caught.value.code == "invalid_design"
    assert caught.value.details["parameter"] == "x1"
    with pytest.raises(ProtocolError) as unknown:
        client.open("Teapot-v1")
    assert unknown.value.code == "unknown_environment"
    assert client.ping()  # the server keeps serving


def test_full_64_bit_seeds_travel_as_strings(server):
    session = Client(server).open("Branin-v0", seed=2**64 - 1)
    assert session.reset(seed=2**63 + 5) == [0]


def test_the_gymnasium_env_passes_gymnasiums_checker(server):
    from gymnasium.utils.env_checker import check_env

    for flatten in (False, True):
        env = DesignGymEnv(server, "Branin-v0", flatten=flatten)
        check_env(env, skip_render_check=True)
        env.close()


def test_spaces_follow_the_parameter_space(server):
    env = DesignGymEnv(server, "ZDT1-v0")
    assert set(env.action_space.spaces) == {"x1", "x2", "x3", "x4", "x5", "x6"}
    assert env.action_space["x4"].n == 4 and env.action_space["x6"].n == 1024
    flat = DesignGymEnv(server, "ZDT1-v0", flatten=True, bins=8)
    assert list(flat.action_space.nvec) == [8, 5, 5, 4, 8, 1024]
    # Bin 0 of the log-scale x5 ∈ [0.001, 1] is centred at 0.001·1000^(1/16).
    design = flat.design(np.array([0, 0, 0, 0, 0, 0]))
    assert math.isclose(design["x5"], 0.001 * 1000 ** (1 / 16))
    observation, _ = env.reset(seed=3)
    assert observation.shape == (2,)
    env.close()
    flat.close()


def test_a_failed_step_gets_the_explicit_failure_reward(server):
    env = DesignGymEnv(server, "Knapsack-v0", failure_reward=-7.0)
    env.reset()
    heavy = {f"item{i}": 3 for i in range(1, 9)}
    _, reward, terminated, truncated, info = env.step({name: heavy[name] for name in heavy})
    assert info["status"] == "infeasible" and reward == -7.0
    assert terminated and not truncated  # infeasible is a result, not a failure to evaluate
    env.close()


@pytest.mark.parametrize("script, arguments", [
    ("random_search.py", ["--env", "Branin-v0", "--budget", "30"]),
    ("episode_loop.py", ["--env", "Knapsack-v0", "--episodes", "2", "--length", "3"]),
    ("optuna_study.py", ["--env", "Branin-v0", "--trials", "15"]),
])
def test_the_example_scripts_run_as_they_are(server, script, arguments):
    if script == "optuna_study.py":
        pytest.importorskip("optuna")
    environment = dict(os.environ, PYTHONPATH=str(EXAMPLES.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    completed = subprocess.run([sys.executable, str(EXAMPLES / script), "--endpoint", server] + arguments,
                               capture_output=True, text=True, timeout=300, env=environment)
    assert completed.returncode == 0, completed.stderr
    assert "best reward" in completed.stdout or "episode 1:" in completed.stdout


def test_a_client_pointed_at_nothing_is_told_at_once():
    import time

    started = time.monotonic()
    with pytest.raises(ProtocolError) as caught:
        Client("tcp://127.0.0.1:9", connect_timeout=0.5)
    assert caught.value.code == "timeout"
    assert "no DesignGym server answered at tcp://127.0.0.1:9 within 0.5 s" in caught.value.message
    assert time.monotonic() - started < 3


def test_gym_run_remote_gives_up_on_an_endpoint_with_nothing_behind_it(tmp_path):
    import time

    from conftest import gym_binary

    started = time.monotonic()
    result = subprocess.run([gym_binary(), "run", "--remote", "tcp://127.0.0.1:9", "--env", "Branin-v0", "--budget", "2",
                             "--connect-timeout", "1", "--db", str(tmp_path / "gym.sqlite")], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "no DesignGym server answered at tcp://127.0.0.1:9 within 1 s" in result.stderr
    assert time.monotonic() - started < 15
