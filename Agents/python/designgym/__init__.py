"""Python client of DesignGym: drive served design-space environments over ZeroMQ (protocol designgym/1),
run DesignGym's agents on your own simulator (Study), and use served environments from Gymnasium
(`gymnasium.make("designgym/Branin-v0")`) and Optuna (`designgym.optuna`)."""

from .client import Client, ProtocolError, Session, Study, PROTOCOL
from .env import DesignGymEnv
from .registration import register, register_all
from .server import PrivateServer

register_all()

__all__ = ["Client", "ProtocolError", "Session", "Study", "PROTOCOL", "DesignGymEnv", "PrivateServer", "register", "register_all"]
