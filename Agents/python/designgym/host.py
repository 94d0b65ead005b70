"""Host an environment written in Python: every DesignGym agent can then search it.

Subclass `Environment`, declare its spec with the vocabulary below (the same as `gym describe --json`
shows and command-environment spec files use), and write `evaluate(design) -> metrics`:

    class Queue(designgym.Environment):
        id = "Queue-v1"
        summary = "an M/M/c queue"
        parameters = [designgym.integer("servers", 1, 16, default=2)]
        metrics = [designgym.metric("wait", "s", "minimize")]
        objective = "wait:min"

        def evaluate(self, design):
            return {"wait": erlang_c_wait(design["servers"])}

    designgym.serve(Queue(), bind="tcp://127.0.0.1:5557")      # gym run --remote tcp://127.0.0.1:5557 ...
    designgym.work(Queue(), connect="tcp://127.0.0.1:5556")    # a worker of `gym broker --hosted-env Queue-v1`

`evaluate` may also take `workload`, `options` and `seed` keyword arguments; it returns a dict with a
finite number for every declared metric, raises `Infeasible` for a design that cannot be built, and any
other exception makes the evaluation `failed` with the exception's text. docs/PROTOCOL.md ("Hosting an
environment") says what any other language must implement to do the same.
"""

import hashlib
import inspect
import json
import math
import os
import platform
import queue
import socket as _socket
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import zmq

from .client import PROTOCOL, _read_key_pair, _read_public_key

__all__ = ["Environment", "Infeasible", "categorical", "integer", "real", "ordinal", "metric", "workload", "option",
           "constraint", "serve", "work", "Host"]


class Infeasible(Exception):
    """Raised by `evaluate` for a design that is valid but cannot be built or run; the message says why."""


# The vocabulary of a spec: each returns the dict the wire format uses.

def categorical(name, choices, default=None, summary="", unit=None):
    """A parameter taking one of `choices` (strings)."""
    choices = [str(choice) for choice in choices]
    if not choices or len(set(choices)) != len(choices):
        raise ValueError(f"parameter {name!r}: give at least one choice, each once")
    return _parameter(name, "categorical", summary, unit, choices[0] if default is None else str(default), choices=choices)


def integer(name, lower, upper, step=1, log=False, default=None, summary="", unit=None):
    """A whole number from `lower` to `upper` inclusive, on the grid lower + k·step."""
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in (lower, upper, step)):
        raise ValueError(f"parameter {name!r}: lower, upper and step are whole numbers")
    if lower > upper or step < 1 or (log and lower < 1):
        raise ValueError(f"parameter {name!r}: needs lower <= upper, step >= 1, and lower >= 1 on a log scale")
    return _parameter(name, "integer", summary, unit, lower if default is None else default, lower=lower, upper=upper,
                      step=step, log=bool(log))


def real(name, lower, upper, log=False, default=None, summary="", unit=None):
    """A real number from `lower` to `upper` inclusive."""
    lower, upper = float(lower), float(upper)
    if not (math.isfinite(lower) and math.isfinite(upper) and lower <= upper) or (log and lower <= 0):
        raise ValueError(f"parameter {name!r}: needs finite lower <= upper, and lower > 0 on a log scale")
    return _parameter(name, "real", summary, unit, lower if default is None else float(default), lower=lower, upper=upper,
                      log=bool(log))


def ordinal(name, values, default=None, summary="", unit=None):
    """A number taking one of `values` (ascending), such as the powers of two a buffer size may be."""
    values = list(values)
    if not values or any(not _is_number(value) for value in values) or values != sorted(set(values)):
        raise ValueError(f"parameter {name!r}: values are distinct numbers in ascending order")
    return _parameter(name, "ordinal", summary, unit, values[0] if default is None else default, values=values)


def metric(name, unit, goal="minimize", summary=""):
    """A metric the environment measures, in `unit`; `goal` is "minimize" or "maximize"."""
    if goal not in ("minimize", "maximize"):
        raise ValueError(f"metric {name!r}: goal is 'minimize' or 'maximize', not {goal!r}")
    return {"name": str(name), "unit": str(unit), "goal": goal, "summary": str(summary)}


def workload(name, summary=""):
    """A workload the environment offers (`evaluate` gets its name as `workload`)."""
    return {"name": str(name), "summary": str(summary)}


def option(key, summary, default=None):
    """A setting a client may give when opening the environment (`evaluate` gets them as `options`)."""
    spec = {"key": str(key), "summary": str(summary)}
    if default is not None:
        spec["defaultValue"] = str(default)
    return spec


def constraint(name, message, check):
    """A rule designs must keep: `check(design)` is true when it holds; a design breaking it is `infeasible`."""
    if not callable(check):
        raise ValueError(f"constraint {name!r}: check is a function of the design returning True when it holds")
    return {"name": str(name), "message": str(message), "check": check}


def _parameter(name, kind, summary, unit, default, **domain):
    spec = {"name": str(name), "type": kind, "summary": str(summary), **domain}
    if unit is not None:
        spec["unit"] = str(unit)
    spec["default"] = default
    problem = _check_value(spec, default)
    if problem:
        raise ValueError(f"parameter {name!r}: the default {default!r} is not allowed; {problem}")
    return spec


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_value(parameter, value):
    """None when `value` is in the parameter's domain, else what is allowed."""
    kind = parameter["type"]
    if kind == "categorical":
        if isinstance(value, str) and value in parameter["choices"]:
            return None
        return "allowed: one of " + ", ".join(parameter["choices"])
    if kind == "integer":
        lower, upper, step = parameter["lower"], parameter["upper"], parameter["step"]
        allowed = f"allowed: a whole number from {lower} to {upper}" + (f" in steps of {step}" if step > 1 else "")
        if not _is_number(value) or float(value) != int(value):
            return allowed
        value = int(value)
        return None if lower <= value <= upper and (value - lower) % step == 0 else allowed
    if kind == "real":
        ok = _is_number(value) and parameter["lower"] <= value <= parameter["upper"]
        return None if ok else f"allowed: a real number from {parameter['lower']} to {parameter['upper']}"
    ok = _is_number(value) and any(value == allowed for allowed in parameter["values"])
    return None if ok else "allowed: one of " + ", ".join(str(allowed) for allowed in parameter["values"])


def _canonical(parameter, value):
    kind = parameter["type"]
    if kind == "integer":
        return int(value)
    if kind == "real":
        return float(value)
    if kind == "ordinal":
        return next(allowed for allowed in parameter["values"] if allowed == value)
    return value


class DesignProblem(Exception):
    """A design that is not in the space: names the parameter."""

    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class SettingProblem(Exception):
    """A workload or option the environment does not have: `field` is "workload" or "option"."""

    def __init__(self, field, name, message):
        super().__init__(message)
        self.field = field
        self.name = name
        self.message = message


class Environment:
    """An environment hosted in Python. Set the class attributes, write `evaluate`.

    - `id`: Name-vN (bump N when the model changes what it measures).
    - `summary`: one sentence.
    - `parameters`: made with `categorical`, `integer`, `real`, `ordinal`; `constraints` with `constraint`.
    - `metrics`: made with `metric`.
    - `workloads`: made with `workload` (one called "default" when none are given); `default_workload`.
    - `options`: made with `option`.
    - `objective`: the default objective, in `gym run --objective`'s compact form ("latency:min");
      `objectives`: suggested ones by name.
    - `deterministic`: whether a design always measures the same.
    """

    id = None
    summary = ""
    parameters = []
    constraints = []
    metrics = []
    workloads = []
    default_workload = None
    options = []
    objective = None
    objectives = {}
    deterministic = True

    def evaluate(self, design, **context):
        """The metrics of `design` (a dict of parameter values, checked and complete) as a dict of numbers."""
        raise NotImplementedError("write evaluate(self, design) -> {metric: value}")

    # The rest is used by the hosts; an environment need not touch it.

    def _workloads(self):
        return list(self.workloads) or [workload("default", "the only workload")]

    def _check_declaration(self):
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"{type(self).__name__}: set id, such as 'MySimulator-v1'")
        names = [parameter["name"] for parameter in self.parameters]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"{self.id}: declare at least one parameter, each name once")
        metric_names = [entry["name"] for entry in self.metrics]
        if not metric_names or len(set(metric_names)) != len(metric_names):
            raise ValueError(f"{self.id}: declare at least one metric, each name once")
        if self.default_workload is not None and self.default_workload not in [entry["name"] for entry in self._workloads()]:
            raise ValueError(f"{self.id}: default_workload {self.default_workload!r} is not among the workloads")

    def spec(self, workload=None):
        """The spec as `describe` sends it, with `workload` (the default when None) as the current one."""
        workloads = self._workloads()
        default = self.default_workload or workloads[0]["name"]
        objective = self.objective or f"{self.metrics[0]['name']}:{'min' if self.metrics[0]['goal'] == 'minimize' else 'max'}"
        return {
            "id": self.id,
            "summary": self.summary or self.id,
            "space": {"parameters": list(self.parameters),
                      "constraints": [{"name": rule["name"], "message": rule["message"]} for rule in self.constraints]},
            "metrics": list(self.metrics),
            "workloads": workloads,
            "workload": workload or default,
            "options": list(self.options),
            "defaultObjective": objective,
            "suggestedObjectives": dict(self.objectives),
            "isDeterministic": bool(self.deterministic),
            "revision": self.revision(),
        }

    def revision(self):
        """What identifies this version of the environment, for caches: the id, and a digest of the spec
        and of the source file that defines the class (so a changed model never reuses old results)."""
        digest = hashlib.sha256()
        declaration = {"parameters": self.parameters, "metrics": self.metrics, "workloads": self._workloads(),
                       "options": self.options, "constraints": [rule["name"] for rule in self.constraints]}
        digest.update(json.dumps(declaration, sort_keys=True, default=str).encode())
        try:
            digest.update(inspect.getsource(sys.modules[type(self).__module__]).encode())
        except (OSError, TypeError, KeyError):
            pass
        return f"{self.id}@{digest.hexdigest()[:16]}"

    def check_setting(self, workload=None, options=None):
        """Raises SettingProblem for a workload or option the environment does not have."""
        names = [entry["name"] for entry in self._workloads()]
        if workload is not None and workload not in names:
            raise SettingProblem("workload", workload, f"{self.id} has no workload {workload!r}; the workloads are: {', '.join(names)}")
        keys = [entry["key"] for entry in self.options]
        for key in sorted(options or {}):
            if key not in keys:
                listing = f"its options are: {', '.join(keys)}" if keys else "it takes no options"
                raise SettingProblem("option", key, f"{self.id} has no option {key!r}; {listing}")

    def check_design(self, design):
        """The design with canonical values, or DesignProblem naming the first parameter that is wrong."""
        if not isinstance(design, dict):
            raise DesignProblem(None, "a design is a JSON object of parameter values")
        declared = {parameter["name"]: parameter for parameter in self.parameters}
        for name in design:
            if name not in declared:
                raise DesignProblem(name, f"unknown parameter {name!r}; the parameters are: {', '.join(declared)}")
        canonical = {}
        for name, parameter in declared.items():
            if name not in design:
                raise DesignProblem(name, f"parameter {name!r} is missing from the design")
            problem = _check_value(parameter, design[name])
            if problem:
                raise DesignProblem(name, f"parameter {name!r} cannot be {json.dumps(design[name])}; {problem}")
            canonical[name] = _canonical(parameter, design[name])
        return canonical

    def measure(self, design, workload=None, options=None, seed=0):
        """Evaluates a checked design: an evaluation dict (status, metrics, wall_time, message), never an exception."""
        started = time.monotonic()

        def ended(status, metrics=None, message=None):
            evaluation = {"status": status, "metrics": metrics or {}, "wall_time": time.monotonic() - started}
            if message:
                evaluation["message"] = message
            return evaluation

        for rule in self.constraints:
            try:
                holds = rule["check"](design)
            except Exception as error:  # noqa: BLE001 — a broken rule is the environment's failure, not the host's
                return ended("failed", message=f"constraint {rule['name']!r} raised {type(error).__name__}: {error}")
            if not holds:
                return ended("infeasible", message=f"constraint {rule['name']!r}: {rule['message']}")
        context = {"workload": workload or self.default_workload or self._workloads()[0]["name"], "options": dict(options or {}),
                   "seed": int(seed)}
        accepted = inspect.signature(self.evaluate).parameters
        takes_all = any(parameter.kind == parameter.VAR_KEYWORD for parameter in accepted.values())
        arguments = {key: value for key, value in context.items() if takes_all or key in accepted}
        try:
            metrics = self.evaluate(dict(design), **arguments)
        except Infeasible as reason:
            return ended("infeasible", message=str(reason) or "the design cannot be built")
        except Exception as error:  # noqa: BLE001 — any failure of the simulator is a failed evaluation
            lines = traceback.format_exception_only(type(error), error)
            return ended("failed", message=f"{self.id} raised " + "".join(lines).strip()[-2000:])
        if not isinstance(metrics, dict):
            return ended("failed", message=f"evaluate returned {type(metrics).__name__}, not a dict of metric values")
        reported = {}
        for entry in self.metrics:
            name = entry["name"]
            value = metrics.get(name)
            if not _is_number(value):
                why = "no value" if value is None else f"{value!r}, not a finite number"
                return ended("failed", message=f"evaluate gave metric {name!r} {why}")
            reported[name] = float(value)
        extra = sorted(set(metrics) - set(reported))
        if extra:
            return ended("failed", message=f"evaluate gave metrics the spec does not declare: {', '.join(map(str, extra))}")
        return ended("ok", reported)


def _server_name():
    return f"designgym-python/{PROTOCOL} on {platform.node() or _socket.gethostname()}:{os.getpid()}"


def _parse_seed(value):
    """A seed: a whole number up to 2^64 - 1, given as a decimal string or (up to 2^53) as a number."""
    if value is None:
        return 0
    if isinstance(value, str) and value.isdigit() and int(value) < 2 ** 64:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2 ** 53:
        return value
    raise _Refusal("bad_request", "seed is a whole number from 0 to 2^64 - 1, written as a decimal string above 2^53")


class _Refusal(Exception):
    def __init__(self, code, message, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class _Objective:
    """The reward this host computes: one metric, minimised or maximised. Formulas over several metrics
    and limits are accepted with no reward here: gym scores any objective from the metrics on its side."""

    KINDS = ("target", "cost", "inverse", "sum", "product", "cityblock", "pareto")

    def __init__(self, objective, metrics):
        self.metric = self.sign = None
        names = [entry["name"] for entry in metrics]
        if isinstance(objective, dict):
            # The JSON form: scored here when it is one metric without limits.
            terms = objective.get("terms")
            if objective.get("kind") not in ("metric",) + self.KINDS or not isinstance(terms, list) or not terms:
                raise _Refusal("invalid_objective", 'a JSON objective has "kind" and "terms"; see gym run --help')
            for term in terms:
                if not isinstance(term, dict) or term.get("metric") not in names:
                    raise _Refusal("invalid_objective", f"objective terms name metrics: {', '.join(names)}")
            if objective["kind"] == "metric" and len(terms) == 1 and not objective.get("limits"):
                self.metric, self.sign = terms[0]["metric"], (1.0 if terms[0].get("goal") == "maximize" else -1.0)
            self.text = json.dumps(objective, sort_keys=True)
            return
        if not isinstance(objective, str):
            raise _Refusal("invalid_objective", 'an objective is the compact form, such as "latency:min", or the JSON form')
        self.text = objective
        head = objective.split(";")[0].strip()
        name, _, goal = head.rpartition(":")
        if goal in ("min", "max") and name in names:
            if ";" not in objective:
                self.metric, self.sign = name, (-1.0 if goal == "min" else 1.0)
            return
        if head.split(":")[0] in self.KINDS:
            return  # a formula over several metrics: the client scores it
        raise _Refusal("invalid_objective", f"objective {objective!r}: name a metric and min or max, such as "
                       f"\"{names[0]}:min\"; the metrics are: {', '.join(names)}")

    def reward(self, evaluation, failure_reward):
        if evaluation["status"] != "ok":
            return failure_reward
        if self.metric is None:
            return None
        return self.sign * evaluation["metrics"][self.metric]


class _Session:
    def __init__(self, identifier, environment, workload, options, seed, objective, failure_reward, episode_length):
        self.id = identifier
        self.environment = environment
        self.workload = workload
        self.options = options
        self.seed = seed
        self.objective = objective
        self.failure_reward = failure_reward
        self.episode_length = episode_length
        self.steps = None  # None: no episode running
        self.pending = []
        self.running = False
        self.last_used = time.monotonic()


class Host:
    """designgym/1's environment side for Python environments, on a ROUTER socket. `serve` runs one."""

    OPS = ("hello", "ping", "describe", "open", "reset", "step", "evaluate", "close")

    def __init__(self, environments, bind, allow_remote=False, threads=1, message_limit=4 << 20, session_limit=1024,
                 idle_timeout=600.0, curve_secret=None, context=None):
        environments = environments if isinstance(environments, (list, tuple)) else [environments]
        for environment in environments:
            environment._check_declaration()
        self.environments = {environment.id: environment for environment in environments}
        if len(self.environments) != len(environments):
            raise ValueError("two environments have the same id")
        _check_bind(bind, allow_remote)
        self.message_limit = message_limit
        self.session_limit = session_limit
        self.idle_timeout = idle_timeout
        self._context = context or zmq.Context.instance()
        self._socket = self._context.socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.MAXMSGSIZE, 4 * message_limit)
        if curve_secret is not None:
            public, secret = _read_key_pair(curve_secret)
            self._socket.curve_server = True
            self._socket.curve_publickey = public
            self._socket.curve_secretkey = secret
        self._socket.bind(bind)
        self.endpoint = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._pool = ThreadPoolExecutor(max_workers=max(1, int(threads)), thread_name_prefix="designgym-host")
        self._replies = queue.Queue()
        self._wake_read, self._wake_write = os.pipe()
        self._lock = threading.Lock()
        self._sessions = {}
        self._next_session = 0

    def run(self):
        """Answers requests until interrupted (Ctrl-C, SIGTERM turned into KeyboardInterrupt, or `stop`)."""
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        poller.register(self._wake_read, zmq.POLLIN)
        self._stopping = False
        try:
            while not self._stopping:
                events = dict(poller.poll(1000))
                if self._wake_read in events:
                    os.read(self._wake_read, 4096)
                while True:
                    try:
                        envelope, reply = self._replies.get_nowait()
                    except queue.Empty:
                        break
                    self._socket.send_multipart(envelope + [reply])
                if self._socket in events:
                    while self._socket.poll(0):
                        self._receive(self._socket.recv_multipart())
                self._close_idle_sessions()
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._socket.close()
            os.close(self._wake_read)
            os.close(self._wake_write)

    def stop(self):
        """Makes `run` return (from another thread, or from an evaluation)."""
        self._stopping = True
        os.write(self._wake_write, b"x")

    def _receive(self, frames):
        # The envelope is every frame up to the request; a REQ client's ends with an empty delimiter.
        if len(frames) < 2:
            return
        identity, rest = frames[:1], frames[1:]
        delimiter = []
        if rest and rest[0] == b"":
            delimiter, rest = [b""], rest[1:]
        envelope = identity + delimiter
        if len(rest) != 1:
            return self._send(envelope, None, _Refusal("bad_request", f"a request is exactly one frame after its envelope; this one had {len(rest)}"))
        frame = rest[0]
        if len(frame) > self.message_limit:
            return self._send(envelope, None, _Refusal("too_large", f"the request is {len(frame)} bytes; this host takes at most {self.message_limit}"))
        try:
            request = json.loads(frame)
        except (ValueError, UnicodeDecodeError):
            request = None
        if not isinstance(request, dict):
            return self._send(envelope, None, _Refusal("malformed_json", 'a request is one JSON object: {"protocol": "designgym/1", "id": …, "op": …}'))
        request_id = request.get("id")
        if request.get("protocol") != PROTOCOL:
            return self._send(envelope, request_id, _Refusal("protocol_mismatch", f'this host speaks "{PROTOCOL}"; put it in the request\'s "protocol" field',
                                                             {"expected": PROTOCOL}))
        op = request.get("op")
        if op not in self.OPS:
            ops = ", ".join(self.OPS)
            refusal = _Refusal("unknown_op", f"unknown op {json.dumps(op)}; ops: {ops}" +
                               (" (studies need gym serve)" if op in ("open_study", "suggest", "observe") else ""),
                               {"op": op if isinstance(op, str) else None})
            return self._send(envelope, request_id, refusal)
        try:
            if op in ("step", "evaluate"):
                session = self._session(request)
                session.last_used = time.monotonic()
                self._queue(session, envelope, request_id, op, request)
                return
            result = getattr(self, "_op_" + op)(request)
        except _Refusal as refusal:
            return self._send(envelope, request_id, refusal)
        except Exception as error:  # noqa: BLE001 — the host keeps serving whatever an environment does
            return self._send(envelope, request_id, _Refusal("evaluation_failed", f"{type(error).__name__}: {error}"))
        self._send(envelope, request_id, result=result)

    def _send(self, envelope, request_id, refusal=None, result=None, from_thread=False):
        if refusal is not None:
            reply = {"id": request_id, "ok": False,
                     "error": {"code": refusal.code, "message": refusal.message, "details": refusal.details}}
        else:
            reply = {"id": request_id, "ok": True, "result": result}
        data = json.dumps(reply, sort_keys=True, allow_nan=False, default=str).encode()
        if from_thread:
            self._replies.put((envelope, data))
            os.write(self._wake_write, b"x")
        else:
            self._socket.send_multipart(envelope + [data])

    # Sessions: requests for one session run in order on the pool's threads; the socket's thread never waits.

    def _queue(self, session, envelope, request_id, op, request):
        with self._lock:
            session.pending.append((envelope, request_id, op, request))
            if session.running:
                return
            session.running = True
        self._pool.submit(self._drain, session)

    def _drain(self, session):
        while True:
            with self._lock:
                if not session.pending:
                    session.running = False
                    return
                envelope, request_id, op, request = session.pending.pop(0)
            try:
                result = self._op_step(session, request) if op == "step" else self._op_evaluate(session, request)
                self._send(envelope, request_id, result=result, from_thread=True)
            except _Refusal as refusal:
                self._send(envelope, request_id, refusal, from_thread=True)
            except Exception as error:  # noqa: BLE001
                self._send(envelope, request_id, _Refusal("evaluation_failed", f"{type(error).__name__}: {error}"), from_thread=True)

    def _close_idle_sessions(self):
        now = time.monotonic()
        with self._lock:
            for key in [key for key, session in self._sessions.items()
                        if not session.running and now - session.last_used > self.idle_timeout]:
                del self._sessions[key]

    def _environment(self, request):
        identifier = request.get("environment")
        if not isinstance(identifier, str):
            raise _Refusal("bad_request", f'this op needs "environment": one of {", ".join(self.environments)}')
        if identifier not in self.environments:
            raise _Refusal("unknown_environment", f"unknown environment {json.dumps(identifier)}; this host serves: {', '.join(self.environments)}",
                           {"environment": identifier})
        return self.environments[identifier]

    def _setting(self, environment, request):
        workload = request.get("workload")
        if workload is not None and not isinstance(workload, str):
            raise _Refusal("bad_request", '"workload" is a string')
        options = request.get("options") or {}
        if not isinstance(options, dict) or any(isinstance(value, (dict, list)) or value is None for value in options.values()):
            raise _Refusal("bad_request", '"options" is an object of strings, numbers or booleans')
        options = {key: (str(value).lower() if isinstance(value, bool) else str(value)) for key, value in options.items()}
        try:
            environment.check_setting(workload, options)
        except SettingProblem as problem:
            raise _Refusal("invalid_option", problem.message, {problem.field: problem.name}) from None
        return workload, options

    def _session(self, request):
        identifier = request.get("session")
        if not isinstance(identifier, str):
            raise _Refusal("bad_request", 'this op needs "session", the id "open" gave')
        with self._lock:
            session = self._sessions.get(identifier)
        if session is None:
            raise _Refusal("unknown_session", f'no open session {json.dumps(identifier)}; "open" one first', {"session": identifier})
        return session

    def _design(self, environment, value, index=None):
        try:
            return environment.check_design(value)
        except DesignProblem as problem:
            details = {} if problem.parameter is None else {"parameter": problem.parameter}
            if index is not None:
                details["index"] = index
            raise _Refusal("invalid_design", problem.message, details) from None

    # The ops.

    def _op_hello(self, request):
        return {"protocol": PROTOCOL, "server": _server_name(), "environments": list(self.environments), "agents": [], "logging": False}

    def _op_ping(self, request):
        return {"pong": True}

    def _op_describe(self, request):
        environment = self._environment(request)
        workload, _ = self._setting(environment, request)
        _parse_seed(request.get("seed"))
        return environment.spec(workload)

    def _op_open(self, request):
        environment = self._environment(request)
        workload, options = self._setting(environment, request)
        seed = _parse_seed(request.get("seed"))
        objective = _Objective(request.get("objective", environment.spec()["defaultObjective"]), environment.metrics)
        failure_reward = request.get("failure_reward")
        if failure_reward is not None and not _is_number(failure_reward):
            raise _Refusal("bad_request", '"failure_reward" is a finite number or null')
        length = request.get("episode_length", 1)
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 1_000_000:
            raise _Refusal("bad_request", '"episode_length" is a whole number from 1 to 1000000')
        with self._lock:
            if len(self._sessions) >= self.session_limit:
                raise _Refusal("server_busy", f"this host has {self.session_limit} open sessions, as many as it allows; close one")
            self._next_session += 1
            identifier = f"s{self._next_session}"
            self._sessions[identifier] = _Session(identifier, environment, workload, options, seed, objective, failure_reward, length)
        return {"session": identifier, "objective": objective.text, "episode_length": length}

    def _op_reset(self, request):
        session = self._session(request)
        session.last_used = time.monotonic()
        if "seed" in request:
            session.seed = _parse_seed(request["seed"])
        session.steps = 0
        return {"observation": [0.0] * len(session.environment.metrics)}

    def _op_close(self, request):
        if "study" in request:
            raise _Refusal("unknown_study", "this host has no studies (they need gym serve)", {"study": request["study"]})
        session = self._session(request)
        with self._lock:
            self._sessions.pop(session.id, None)
        return {}

    def _evaluation(self, session, design):
        evaluation = session.environment.measure(design, session.workload, session.options, session.seed)
        evaluation["reward"] = session.objective.reward(evaluation, session.failure_reward)
        return evaluation

    def _op_step(self, session, request):
        design = self._design(session.environment, request.get("design"))
        if session.steps is None:
            raise _Refusal("needs_reset", 'the episode has ended (or never started): send "reset" first')
        evaluation = self._evaluation(session, design)
        session.steps += 1
        truncated = evaluation["status"] in ("failed", "timeout")
        terminated = not truncated and session.steps >= session.episode_length
        if terminated or truncated:
            session.steps = None
        observation = [evaluation["metrics"].get(entry["name"], 0.0) for entry in session.environment.metrics]
        return dict(evaluation, observation=observation, terminated=terminated, truncated=truncated)

    def _op_evaluate(self, session, request):
        designs = request.get("designs")
        if not isinstance(designs, list):
            raise _Refusal("bad_request", '"evaluate" needs "designs", a list of designs')
        checked = [self._design(session.environment, design, index) for index, design in enumerate(designs)]
        return {"evaluations": [self._evaluation(session, design) for design in checked]}


def _check_bind(endpoint, allow_remote):
    """Refuses endpoints other machines can reach unless `allow_remote`, as `gym serve` does."""
    if allow_remote or not endpoint.startswith("tcp://"):
        return
    host = endpoint[len("tcp://"):].rsplit(":", 1)[0].strip("[]")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"{endpoint} can be reached from other machines; bind to tcp://127.0.0.1:PORT, or pass allow_remote=True "
                         "(and curve_secret=… to encrypt and authenticate)")


def serve(environments, bind="tcp://127.0.0.1:5555", allow_remote=False, threads=1, curve_secret=None, announce=True, **settings):
    """Serves `environments` (one or a list) over designgym/1 at `bind` until interrupted: `gym run --remote`,
    `gym sweep --remote`, `gym check --remote` and the Python client drive them. Evaluations run on
    `threads` threads (requests of one session in order), so the host answers `ping` and other sessions
    meanwhile. Prints "Serving … on ENDPOINT" once bound (a port of * is chosen by the system)."""
    host = Host(environments, bind, allow_remote=allow_remote, threads=threads, curve_secret=curve_secret, **settings)
    if announce:
        print(f"Serving {', '.join(host.environments)} on {host.endpoint} (protocol {PROTOCOL}). Ctrl-C stops.", flush=True)
    try:
        host.run()
    except KeyboardInterrupt:
        pass


def work(environments, connect="tcp://127.0.0.1:5556", name=None, curve_server_key=None, curve_secret=None,
         heartbeat=0.5, context=None, announce=True):
    """Evaluates designs of `environments` for a `gym broker` started with `--hosted-env ID` for each:
    connects to its workers endpoint and speaks designgym-worker/1, announcing the environments' specs.
    When the broker abandons an evaluation that ran past its time limit, this process starts afresh
    (the same command line again), since Python cannot stop a running function. Runs until interrupted."""
    environments = environments if isinstance(environments, (list, tuple)) else [environments]
    for environment in environments:
        environment._check_declaration()
    hosted = {environment.id: environment for environment in environments}
    name = name or f"{platform.node() or _socket.gethostname()}:{os.getpid()}"
    context = context or zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    if curve_server_key is not None:
        socket.curve_serverkey = _read_public_key(curve_server_key)
        public, secret = _read_key_pair(curve_secret) if curve_secret is not None else zmq.curve_keypair()
        socket.curve_publickey = public
        socket.curve_secretkey = secret
    socket.connect(connect)
    announcement = {identifier: environment.spec() for identifier, environment in hosted.items()}
    done = queue.Queue()
    running = None
    if announce:
        print(f"Worker {name} hosting {', '.join(hosted)} for {connect}. Ctrl-C stops.", flush=True)

    def run_job(job):
        environment = hosted.get(job.get("environment"))
        if environment is None:
            evaluation = {"status": "failed", "metrics": {}, "wall_time": 0,
                          "message": f"worker {name} hosts {', '.join(hosted)}, not {job.get('environment')!r}"}
        else:
            try:
                design = environment.check_design(job.get("design"))
                options = job.get("options") or {}
                environment.check_setting(job.get("workload"), options)
                seed = int(job.get("seed") or 0)
                evaluation = environment.measure(design, job.get("workload"), options, seed)
            except (DesignProblem, SettingProblem, ValueError) as problem:
                evaluation = {"status": "failed", "metrics": {}, "wall_time": 0, "message": f"worker {name}: {problem}"}
        done.put({"type": "result", "job": job.get("job"), "worker": name, "evaluation": evaluation})

    def beat():
        message = {"type": "busy" if running is not None else "ready", "worker": name}
        if running is None:
            message["environments"] = announcement
        else:
            message["job"] = running
        socket.send(json.dumps(message, sort_keys=True).encode())

    queued = []
    last_beat = 0.0
    try:
        while True:
            try:
                result = done.get_nowait()
                socket.send(json.dumps(result, sort_keys=True, allow_nan=False, default=str).encode())
                running = None
                last_beat = 0.0
            except queue.Empty:
                pass
            if running is None and queued:
                job = queued.pop(0)
                running = job.get("job")
                threading.Thread(target=run_job, args=(job,), name="designgym-work", daemon=True).start()
                last_beat = 0.0
            if time.monotonic() - last_beat >= heartbeat:
                beat()
                last_beat = time.monotonic()
            if not socket.poll(int(heartbeat * 200) + 1):
                continue
            try:
                message = json.loads(socket.recv_multipart()[-1])
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if message.get("type") == "job":
                queued.append(message)
            elif message.get("type") == "abandon":
                if message.get("job") == running:
                    # The evaluation cannot be stopped from here: start afresh, as `gym worker` does.
                    socket.close()
                    os.execv(sys.executable, [sys.executable] + sys.argv)
                queued = [job for job in queued if job.get("job") != message.get("job")]
    except KeyboardInterrupt:
        pass
    finally:
        if not socket.closed:
            socket.close()
