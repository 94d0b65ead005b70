"""Optuna and Gymnasium on served environments, through the helpers in the package."""

import math
import sqlite3

import gymnasium
import numpy as np
import optuna
import pytest

import designgym
import designgym.optuna as dgo
from designgym import Client


def test_the_space_becomes_optuna_distributions_keeping_order_and_log_scales(server):
    space = Client(server).describe("ZDT1-v0")["space"]
    distributions = dgo.distributions(space)
    by_name = {p["name"]: p for p in space["parameters"]}
    for name, parameter in by_name.items():
        distribution = distributions[name]
        if parameter["type"] == "ordinal":
            # An ordered index, not a set of unordered choices.
            assert isinstance(distribution, optuna.distributions.IntDistribution)
            assert (distribution.low, distribution.high) == (0, len(parameter["values"]) - 1)
        elif parameter["type"] == "real":
            assert isinstance(distribution, optuna.distributions.FloatDistribution)
            assert distribution.log == parameter.get("log", False)
        elif parameter["type"] == "integer":
            assert isinstance(distribution, optuna.distributions.IntDistribution)
        else:
            assert isinstance(distribution, optuna.distributions.CategoricalDistribution)
    assert any(p.get("log") for p in space["parameters"])  # x5 is on a log scale
    # Indices come back as the ordinal's values.
    ordinal = next(p for p in space["parameters"] if p["type"] == "ordinal")
    values = {p["name"]: 0 for p in space["parameters"]}
    values.update({p["name"]: p["default"] for p in space["parameters"] if p["type"] != "ordinal"})
    values[ordinal["name"]] = len(ordinal["values"]) - 1
    assert dgo.design(values, space)[ordinal["name"]] == ordinal["values"][-1]


def test_infeasible_designs_are_optuna_constraint_violations(serve, tmp_path):
    db = tmp_path / "gym.sqlite"
    served = serve("--env", "Knapsack-v0", "--db", db)
    session = Client(served.endpoint).open("Knapsack-v0", agent="optuna-tpe")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = dgo.create_study(session, seed=2)
    study.optimize(dgo.objective(session), n_trials=40)
    statuses = [trial.user_attrs["designgym_status"] for trial in study.trials]
    violations = [trial.user_attrs[dgo.CONSTRAINT_KEY][0] for trial in study.trials]
    assert "infeasible" in statuses and "ok" in statuses
    assert all((v > 0) == (s == "infeasible") for v, s in zip(violations, statuses))
    # The best trial Optuna reports is feasible, and every trial is logged.
    assert study.best_trial.user_attrs["designgym_status"] == "ok"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 40


def test_a_pareto_objective_is_a_multi_objective_study_of_the_reward_vector(serve):
    served = serve("--env", "ZDT1-v0")
    session = Client(served.endpoint).open("ZDT1-v0", objective="pareto:f1:min,f2:min")
    assert dgo.directions(session.objective) == ["maximize", "maximize"]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = dgo.create_study(session, sampler=optuna.samplers.NSGAIISampler(seed=1))
    study.optimize(dgo.objective(session), n_trials=12)
    for trial in study.trials:
        # The reward vector: minus each minimised metric.
        evaluation = session.evaluate([dgo.design(trial.params, Client(served.endpoint).describe("ZDT1-v0")["space"])])[0]
        assert trial.values == pytest.approx([-evaluation["metrics"]["f1"], -evaluation["metrics"]["f2"]])
    assert len(study.best_trials) >= 1


def test_gymnasium_make_starts_a_private_server_and_stops_it():
    env = gymnasium.make("designgym/Branin-v0", options={"noise": 1}, failure_reward=-100.0)
    server = env.unwrapped._server
    assert server is not None and server.endpoint.startswith("ipc://")
    action = {"x1": np.array([1.0]), "x2_steps": 100, "variant": 0}
    env.reset(seed=1)
    first = env.step(action)[1]
    env.reset(seed=1)
    assert env.step(action)[1] == first  # the same seed, the same noise
    env.reset(seed=2)
    assert env.step(action)[1] != first  # another seed, other noise
    env.close()
    assert server.process.poll() is not None  # stopped with the environment


def test_a_failure_is_never_a_silent_reward():
    env = designgym.DesignGymEnv(environment="Knapsack-v0")
    env.reset()
    heavy = {f"item{i}": 3 for i in range(1, 9)}
    with pytest.raises(RuntimeError) as caught:
        env.step(heavy)
    assert "pass failure_reward" in str(caught.value) and "infeasible" in str(caught.value)
    env.close()
    explicit = designgym.DesignGymEnv(environment="Knapsack-v0", failure_reward=-7.0)
    explicit.reset()
    _, reward, _, _, info = explicit.step(heavy)
    assert reward == -7.0 and info["status"] == "infeasible"
    explicit.close()


def test_every_served_environment_is_registered():
    for environment in ["Branin-v0", "MemoryController-v0", "Accelerator-v0", "Supernet-v1"]:
        assert f"designgym/{environment}" in gymnasium.registry
