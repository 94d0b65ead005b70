"""Python client of DesignGym: drive served design-space environments over ZeroMQ (protocol designgym/1)."""

from .client import Client, ProtocolError, Session, PROTOCOL
from .env import DesignGymEnv

__all__ = ["Client", "ProtocolError", "Session", "PROTOCOL", "DesignGymEnv"]
