"""A gymnasium.Env over a served DesignGym environment."""

import math

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .client import Client
from .server import PrivateServer


class DesignGymEnv(gym.Env):
    """A served environment as a `gymnasium.Env`.

    The action space is derived from the parameter space: a `Dict` with `Discrete` for categorical,
    integer and ordinal parameters (an index into their values) and a one-element `Box` for real ones;
    with `flatten=True` it is one `MultiDiscrete`, reals cut into `bins` slices (the slice centre is used,
    on a log scale where the parameter has one). The observation is the metric vector in spec order.

    `endpoint` is a running `gym serve` (or broker); None starts a private one for this environment, on an
    ipc socket, stopped by `close()`. `reset(seed=…)` seeds the environment: the same seed gives the same
    metrics, noise included, and another seed other ones.

    A step whose evaluation is not ok (or falls outside the objective's limits) gets `failure_reward`,
    which the server applies and logs; `info["status"]` and `info["message"]` say what happened. Without a
    `failure_reward` such a step has no reward, and `step` raises saying so: a failure is never a silent
    number.
    """

    metadata = {"render_modes": []}

    def __init__(self, endpoint=None, environment=None, workload=None, options=None, objective=None, episode_length=1,
                 flatten=False, bins=10, failure_reward=None, timeout=600.0, connect_timeout=10.0, agent=None, name=None):
        super().__init__()
        if environment is None:
            raise ValueError("DesignGymEnv needs the environment's id, such as 'Branin-v0'")
        self._server = None
        if endpoint is None:
            self._server = PrivateServer([environment])
            endpoint = self._server.endpoint
        self.client = Client(endpoint, timeout=timeout, connect_timeout=connect_timeout)
        self.spec_json = self.client.describe(environment, workload=workload, options=options)
        self.session = self.client.open(environment, workload=workload, options=options, objective=objective,
                                        episode_length=episode_length, failure_reward=failure_reward,
                                        agent=agent or "gymnasium", name=name)
        self.parameters = self.spec_json["space"]["parameters"]
        self.metric_names = [metric["name"] for metric in self.spec_json["metrics"]]
        self.flatten = flatten
        self.bins = bins
        self.failure_reward = failure_reward
        self._values = {p["name"]: _discrete_values(p) for p in self.parameters}
        if flatten:
            self.action_space = spaces.MultiDiscrete(
                [len(self._values[p["name"]]) if self._values[p["name"]] is not None else bins for p in self.parameters])
        else:
            self.action_space = spaces.Dict({
                p["name"]: spaces.Discrete(len(self._values[p["name"]])) if self._values[p["name"]] is not None
                else spaces.Box(low=p["lower"], high=p["upper"], shape=(1,), dtype=np.float64)
                for p in self.parameters
            })
        self.observation_space = spaces.Box(low=-np.inf, high=np.inf, shape=(len(self.metric_names),), dtype=np.float64)

    def design(self, action):
        """The design an action stands for."""
        design = {}
        for index, parameter in enumerate(self.parameters):
            name = parameter["name"]
            values = self._values[name]
            chosen = action[index] if self.flatten else action[name]
            if values is not None:
                design[name] = values[int(chosen)]
            elif self.flatten:
                design[name] = _bin_centre(parameter, int(chosen), self.bins)
            else:
                design[name] = float(np.clip(np.asarray(chosen).reshape(-1)[0], parameter["lower"], parameter["upper"]))
        return design

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        observation = self.session.reset(seed=seed)
        return np.asarray(observation, dtype=np.float64), {}

    def step(self, action):
        result = self.session.step(self.design(action))
        reward = result["reward"]
        # Wall time varies run to run, so it stays out of `info` (Gymnasium expects equal steps to give
        # equal info); it is kept in `last_wall_time`, in seconds.
        self.last_wall_time = result["wall_time"]
        info = {"status": result["status"], "metrics": result["metrics"]}
        if "message" in result:
            info["message"] = result["message"]
        if reward is None:
            raise RuntimeError(f"the evaluation has no reward (status {result['status']}"
                               f"{': ' + result['message'] if 'message' in result else ''}) and the objective "
                               f"{self.session.objective} gives failures none; pass failure_reward=… to DesignGymEnv")
        return (np.asarray(result["observation"], dtype=np.float64), float(reward),
                bool(result["terminated"]), bool(result["truncated"]), info)

    def close(self):
        try:
            self.session.close()
        finally:
            self.client.close()
            if self._server is not None:
                self._server.close()
                self._server = None


def _discrete_values(parameter):
    kind = parameter["type"]
    if kind == "categorical":
        return list(parameter["choices"])
    if kind == "ordinal":
        return [int(v) if float(v).is_integer() else v for v in parameter["values"]]
    if kind == "integer":
        return list(range(parameter["lower"], parameter["upper"] + 1, parameter.get("step", 1)))
    return None


def _bin_centre(parameter, index, bins):
    unit = (index + 0.5) / bins
    low, high = parameter["lower"], parameter["upper"]
    if parameter.get("log"):
        return math.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
    return low + unit * (high - low)
