"""`gymnasium.make("designgym/<environment id>")` for every environment the `gym` binary serves."""

import json
import re
import subprocess

import gymnasium

from .server import gym_binary

# The environments DesignGym ships, registered even where no `gym` binary can be asked.
BUILT_IN = ["Branin-v0", "Ackley-v0", "Knapsack-v0", "ZDT1-v0", "DiffusionSampler-v1", "MemoryController-v0",
            "Accelerator-v0", "NASBench201-v0", "Supernet-v1", "CoDesign-v0"]


def served_environments():
    """The ids `gym list --json` reports, or the built-in ones when there is no binary to ask."""
    binary = gym_binary()
    if binary is None:
        return list(BUILT_IN)
    try:
        listing = subprocess.run([binary, "list", "--json"], capture_output=True, text=True, timeout=30, check=True)
        return [entry["id"] for entry in json.loads(listing.stdout)["environments"]]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        return list(BUILT_IN)


def register(environment):
    """Registers `designgym/<environment>` with Gymnasium (a `Name-vN` id); `gymnasium.make` then takes
    DesignGymEnv's arguments (`endpoint`, `objective`, `failure_reward`, `flatten`, …)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*-v[0-9]+", environment):
        return
    gym_id = f"designgym/{environment}"
    if gym_id in gymnasium.registry:
        return
    gymnasium.register(id=gym_id, entry_point="designgym.env:DesignGymEnv", kwargs={"environment": environment},
                       disable_env_checker=True)


def register_all():
    """Registers every served environment."""
    for environment in served_environments():
        register(environment)
