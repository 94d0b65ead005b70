"""Python client of DesignGym: drive served design-space environments over ZeroMQ (protocol designgym/1),
run DesignGym's agents on your own simulator (Study), and use served environments from Gymnasium
(`gymnasium.make("designgym/Branin-v0")`) and Optuna (`designgym.optuna`), and host environments written in
Python (`designgym.Environment`, served with `designgym.serve` or as a broker's worker with `designgym.work`)."""

from .client import Client, ProtocolError, Session, Study, PROTOCOL
from .env import DesignGymEnv
from .registration import register, register_all
from .server import PrivateServer
from .host import (Environment, Infeasible, categorical, integer, real, ordinal, metric, workload, option, constraint,
                   serve, work)

register_all()

__all__ = ["Client", "ProtocolError", "Session", "Study", "PROTOCOL", "DesignGymEnv", "PrivateServer", "register", "register_all",
           "Environment", "Infeasible", "categorical", "integer", "real", "ordinal", "metric", "workload", "option", "constraint",
           "serve", "work"]
