"""A client of `gym serve`: one JSON request per ZeroMQ frame, one reply (see docs/PROTOCOL.md)."""

import itertools
import json
import os
import time

import zmq

PROTOCOL = "designgym/1"


class ProtocolError(Exception):
    """An error reply: `code` (e.g. "invalid_design"), `message`, and `details` (e.g. {"parameter": "x1"})."""

    def __init__(self, code, message, details=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details or {}


class Client:
    """Sends requests to a DesignGym server and returns their results.

    >>> client = Client("tcp://127.0.0.1:5555")
    >>> client.hello()["environments"]
    """

    def __init__(self, endpoint, timeout=60.0, context=None, curve_server_key=None, curve_secret=None,
                 connect_timeout=10.0, handshake=True):
        """Connects to `endpoint` and checks that a DesignGym server answers there within
        `connect_timeout` seconds (raising ProtocolError "timeout" at once otherwise; `handshake=False`
        skips the check). Each later request may take `timeout` seconds. For a server run with
        `--curve-secret`, pass `curve_server_key`: the path of its .pub file (or the key itself);
        `curve_secret` is this client's .secret file from `gym keygen` (a fresh key pair when omitted)."""
        self.endpoint = endpoint
        self.timeout = timeout
        self._context = context or zmq.Context.instance()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        if curve_server_key is not None:
            if not zmq.has("curve"):
                raise RuntimeError("this pyzmq's libzmq has no CURVE support")
            self._socket.curve_serverkey = _read_public_key(curve_server_key)
            if curve_secret is not None:
                public, secret = _read_key_pair(curve_secret)
            else:
                public, secret = zmq.curve_keypair()
            self._socket.curve_publickey = public
            self._socket.curve_secretkey = secret
        self._socket.connect(endpoint)
        self._ids = itertools.count(1)
        self.served = None
        if handshake:
            try:
                self.served = self.request("hello", timeout=connect_timeout)["environments"]
            except ProtocolError as error:
                if error.code != "timeout":
                    raise
                self.close()
                raise ProtocolError("timeout", f"no DesignGym server answered at {endpoint} within {connect_timeout} s; "
                                    "is `gym serve` (or `gym broker`) running there, and is the endpoint right?") from None

    def request(self, op, timeout=None, **arguments):
        """Sends `op` with `arguments`; returns the result, or raises ProtocolError (code "timeout" when
        no reply arrives within the timeout)."""
        request_id = next(self._ids)
        message = dict(arguments, protocol=PROTOCOL, op=op, id=request_id)
        self._socket.send(json.dumps(message).encode("utf-8"))
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            # Short polls, so Ctrl-C (KeyboardInterrupt) ends a wait at once.
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProtocolError("timeout", f"no reply from {self.endpoint} to {op!r}; is `gym serve` running there?")
            if not self._socket.poll(int(min(remaining, 0.1) * 1000) + 1):
                continue
            reply = json.loads(self._socket.recv_multipart()[-1])
            if reply.get("id") != request_id:
                continue  # a late reply to an earlier request that timed out
            if reply.get("ok"):
                return reply.get("result")
            error = reply.get("error") or {}
            raise ProtocolError(error.get("code", "unknown"), error.get("message", ""), error.get("details"))

    def hello(self):
        """Server version, protocol and served environments."""
        return self.request("hello")

    def ping(self):
        """True when the server answers."""
        return self.request("ping").get("pong", False)

    def describe(self, environment, workload=None, options=None, seed=None):
        """The environment's spec: space, metrics with units and goals, workloads, objectives."""
        return self.request("describe", **_arguments(environment, workload, options, seed))

    def open(self, environment, workload=None, options=None, seed=None, objective=None, episode_length=1):
        """Opens a session and returns a Session."""
        arguments = _arguments(environment, workload, options, seed)
        if objective is not None:
            arguments["objective"] = objective
        result = self.request("open", episode_length=episode_length, **arguments)
        return Session(self, result["session"], result)

    def close(self):
        """Closes the socket."""
        self._socket.close(0)


class Session:
    """One open session: an environment instance, an objective and an episode."""

    def __init__(self, client, session_id, info):
        self.client = client
        self.id = session_id
        self.info = info

    def reset(self, seed=None):
        """Starts an episode; returns the first observation."""
        arguments = {"session": self.id}
        if seed is not None:
            arguments["seed"] = str(seed)
        return self.client.request("reset", **arguments)["observation"]

    def step(self, design):
        """Evaluates `design` as the next step: observation, reward, terminated, truncated, metrics, status."""
        return self.client.request("step", session=self.id, design=design)

    def evaluate(self, designs):
        """Evaluates a batch of designs outside the episode; returns one evaluation per design."""
        return self.client.request("evaluate", session=self.id, designs=list(designs))["evaluations"]

    def close(self):
        """Closes the session on the server."""
        self.client.request("close", session=self.id)


def _arguments(environment, workload, options, seed):
    arguments = {"environment": environment}
    if workload is not None:
        arguments["workload"] = workload
    if options:
        arguments["options"] = {key: str(value) for key, value in options.items()}
    if seed is not None:
        arguments["seed"] = str(seed)  # full 64-bit seeds travel as decimal strings
    return arguments


def _read_public_key(path_or_key):
    """A Z85 public key from a .pub file, a .secret file, or the 40-character key itself."""
    if len(path_or_key) == 40 and not os.path.exists(path_or_key):
        return path_or_key.encode()
    with open(path_or_key) as handle:
        text = handle.read().strip()
    if len(text) == 40:
        return text.encode()
    return _read_key_pair(path_or_key)[0]


def _read_key_pair(path):
    """The (public, secret) keys of a `gym keygen` .secret file."""
    fields = {}
    with open(path) as handle:
        for line in handle:
            parts = line.strip().split(" ", 1)
            if len(parts) == 2:
                fields[parts[0]] = parts[1].strip()
    if "public" not in fields or "secret" not in fields:
        raise ValueError(f"{path} is not a secret key file from `gym keygen`")
    return fields["public"].encode(), fields["secret"].encode()
