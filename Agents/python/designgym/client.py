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

    def open(self, environment, workload=None, options=None, seed=None, objective=None, episode_length=1,
             agent=None, settings=None, name=None, cache=None, failure_reward=None):
        """Opens a session and returns a Session.

        On a server run with `--db`, the session is logged as an experiment: `agent` names what drives it
        (such as "optuna-tpe"), `settings` its hyperparameters (a dict), `name` the experiment; `cache=False`
        evaluates every design even when the server's cache holds it. `failure_reward` is the reward of an
        evaluation that is not ok (by default it has none: the reward is None)."""
        arguments = _arguments(environment, workload, options, seed)
        for key, value in (("objective", objective), ("agent", agent), ("settings", settings), ("name", name),
                           ("cache", cache), ("failure_reward", failure_reward)):
            if value is not None:
                arguments[key] = value
        result = self.request("open", episode_length=episode_length, **arguments)
        session = Session(self, result["session"], result)
        session.environment, session.workload, session.options = environment, workload, options
        return session

    def close(self):
        """Closes the socket."""
        self._socket.close(0)


class Session:
    """One open session: an environment instance, an objective and an episode. `experiment` is its
    experiment's id when the server logs it (`gym serve --db`), else None."""

    def __init__(self, client, session_id, info):
        self.client = client
        self.id = session_id
        self.info = info
        self.experiment = info.get("experiment")
        self.objective = info.get("objective")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

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


class Study:
    """DesignGym's agents for anyone's evaluations: a registered agent suggests designs, you evaluate
    them however you like and observe the results. Every observation is logged by the server (which must
    run with `--db`), and a study resumes after a restart with `Study(..., resume=<experiment id>)`.

    >>> with Study("tcp://127.0.0.1:5555", agent="bayesian", space=space, metrics=metrics, objective="loss:min") as study:
    ...     for _ in range(20):
    ...         design = study.suggest()[0]
    ...         study.observe(design, metrics={"loss": my_simulator(**design)})

    Give `environment` (a served one) instead of `space`/`metrics` to search a served environment; then
    `suggest(evaluate=True)` lets the server evaluate too.
    """

    def __init__(self, client, agent=None, environment=None, space=None, metrics=None, objective=None,
                 hyperparameters=None, seed=None, budget=None, name=None, simulator=None, workload=None,
                 options=None, cache=None, resume=None):
        self.client = client if isinstance(client, Client) else Client(client)
        arguments = {}
        if resume is not None:
            arguments["resume"] = resume
        else:
            if agent is None:
                raise ValueError("a study needs an agent (see the server's hello()['agents']), or resume=<experiment id>")
            arguments["agent"] = agent
            if environment is not None:
                arguments.update(_arguments(environment, workload, options, None))
            if space is not None:
                arguments["space"] = space if "parameters" in space else {"parameters": list(space)}
            for key, value in (("metrics", metrics), ("objective", objective), ("hyperparameters", hyperparameters),
                               ("budget", budget), ("name", name), ("simulator", simulator), ("cache", cache)):
                if value is not None:
                    arguments[key] = value
            if seed is not None:
                arguments["seed"] = str(seed)
        self.info = self.client.request("open_study", **arguments)
        self.id = self.info["study"]
        self.experiment = self.info["experiment"]
        self.space = self.info["space"]
        self.objective = self.info["objective"]
        self.budget = self.info.get("budget")
        self.pending = [entry["design"] for entry in self.info.get("pending", [])]
        self.complete = False

    def suggest(self, count=1, evaluate=False):
        """The agent's next `count` designs (fewer when the budget allows fewer). With `evaluate=True` the
        server evaluates them on its environment too and returns `(designs, evaluations)`."""
        result = self.client.request("suggest", study=self.id, count=count, evaluate=evaluate)
        if evaluate:
            self.complete = result.get("complete", False)
            return result["designs"], result["evaluations"]
        self.pending += result["designs"]
        return result["designs"]

    def observe(self, design, metrics=None, status="ok", reward=None, message=None, wall_time=None):
        """Reports the evaluation of one suggested design: its `metrics` (and `status` when it is not ok),
        or only its `reward` (a list for a Pareto objective). Returns the reward the objective gives it."""
        trial = {"design": design}
        if reward is not None:
            trial["reward"] = list(reward) if isinstance(reward, (list, tuple)) else float(reward)
        else:
            trial["metrics"] = {key: float(value) for key, value in (metrics or {}).items()}
            trial["status"] = status
            if message is not None:
                trial["message"] = message
            if wall_time is not None:
                trial["wall_time"] = wall_time
        return self.observe_many([trial])[0]

    def observe_many(self, trials):
        """Reports several evaluations at once: each a dict with "design" and "metrics"/"status", or
        "design" and "reward". Returns their rewards."""
        result = self.client.request("observe", study=self.id, trials=list(trials))
        for trial in trials:
            if trial["design"] in self.pending:
                self.pending.remove(trial["design"])
        self.complete = result.get("complete", False)
        return result["rewards"]

    def close(self):
        """Ends the study (its experiment completes, or stays resumable when its budget is not spent)."""
        self.client.request("close", study=self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
