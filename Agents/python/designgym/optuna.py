"""Optuna over served environments: the parameter space as Optuna distributions (ordinals stay ordered,
log scales kept), infeasible designs through Optuna's `constraints_func`, Pareto objectives as
multi-objective studies maximising the reward vector.

>>> import optuna, designgym.optuna as dgo
>>> session = designgym.Client(endpoint).open("Branin-v0", agent="optuna-tpe", settings={"seed": 1})
>>> study = dgo.create_study(session)
>>> study.optimize(dgo.objective(session), n_trials=50)

Every evaluation goes through the session, so a server run with `--db` logs the whole study.
"""

import math

import optuna

CONSTRAINT_KEY = "designgym_constraints"


def distributions(space):
    """The parameters of a space (as `describe` or a study returns it) as Optuna distributions. Ordinal
    parameters become an ordered integer index into their values (so Optuna's samplers see their order);
    `design` turns a suggested index back into the value."""
    result = {}
    for parameter in space["parameters"]:
        kind, name = parameter["type"], parameter["name"]
        if kind == "categorical":
            result[name] = optuna.distributions.CategoricalDistribution(parameter["choices"])
        elif kind == "integer":
            step = parameter.get("step", 1)
            log = parameter.get("log", False)
            result[name] = optuna.distributions.IntDistribution(parameter["lower"], parameter["upper"], log=log,
                                                                step=1 if log else step)
        elif kind == "real":
            result[name] = optuna.distributions.FloatDistribution(parameter["lower"], parameter["upper"], log=parameter.get("log", False))
        elif kind == "ordinal":
            result[name] = optuna.distributions.IntDistribution(0, len(parameter["values"]) - 1)
        else:
            raise ValueError(f"parameter {name!r} has a type Optuna cannot take: {kind!r}")
    return result


def suggest(trial, space):
    """Asks an Optuna trial for a design of `space`."""
    values = {}
    for name, distribution in distributions(space).items():
        values[name] = trial._suggest(name, distribution)
    return design(values, space)


def design(values, space):
    """A design from Optuna's parameter values: ordinal indices become their values; an integer step of a
    log-scale integer is snapped to the grid."""
    result = {}
    for parameter in space["parameters"]:
        name, value = parameter["name"], values[parameter["name"]]
        if parameter["type"] == "ordinal":
            value = parameter["values"][int(value)]
            value = int(value) if float(value).is_integer() else value
        elif parameter["type"] == "integer" and parameter.get("log") and parameter.get("step", 1) > 1:
            step, lower = parameter["step"], parameter["lower"]
            value = min(parameter["upper"], lower + round((value - lower) / step) * step)
        result[name] = value
    return result


def directions(objective):
    """The directions of a study for `objective` (its compact text): one "maximize" per reward, since
    DesignGym's rewards are always maximised — one for a single objective, one per goal for `pareto:`."""
    if objective.startswith("pareto:"):
        goals = objective[len("pareto:"):].split(";")[0].split(",")
        return ["maximize"] * len(goals)
    return ["maximize"]


# Optuna 5 reads constraints a trial sets itself (`Trial.set_constraint`); earlier ones ask the sampler's
# `constraints_func`. Both are served: `objective` sets the constraint either way.
SETS_CONSTRAINTS = hasattr(optuna.trial.Trial, "set_constraint")


def constraints_func(frozen_trial):
    """For samplers' `constraints_func` (Optuna before 5): an infeasible design violates its constraint
    (1), a feasible one does not (-1)."""
    return frozen_trial.user_attrs.get(CONSTRAINT_KEY, (-1.0,))


def sampler_arguments():
    """What a TPE or NSGA-II sampler needs to know about constraints in this Optuna: nothing from 5 on."""
    return {} if SETS_CONSTRAINTS else {"constraints_func": constraints_func}


def create_study(session, sampler=None, seed=None, **arguments):
    """An Optuna study for a DesignGym session: its directions from the session's objective, and a
    sampler that knows about infeasible designs (TPE, NSGA-II for Pareto) unless one is given."""
    goals = directions(session.objective)
    if sampler is None:
        sampler = (optuna.samplers.NSGAIISampler(seed=seed, **sampler_arguments()) if len(goals) > 1
                   else optuna.samplers.TPESampler(seed=seed, **sampler_arguments()))
    return optuna.create_study(directions=goals, sampler=sampler, **arguments)


def objective(session, space=None):
    """The function `study.optimize` calls: it asks the trial for a design, evaluates it through the
    session (logged by the server), marks infeasible designs through the constraint, and returns the
    reward (the reward vector for a Pareto objective). An evaluation that failed or timed out fails the
    Optuna trial (its value is NaN, and the server's message is kept as the user attribute
    "designgym_message"); an infeasible one counts as violating its constraint."""
    if space is None:
        space = session.client.describe(session.environment, workload=session.workload, options=session.options)["space"]
    goals = directions(session.objective)

    def evaluate(trial):
        chosen = suggest(trial, space)
        evaluation = session.evaluate([chosen])[0]
        trial.set_user_attr("designgym_status", evaluation["status"])
        violation = (1.0,) if evaluation["status"] == "infeasible" else (-1.0,)
        trial.set_user_attr(CONSTRAINT_KEY, violation)
        if SETS_CONSTRAINTS:
            trial.set_constraint("feasible", violation[0])
        if evaluation["status"] == "infeasible":
            worst = -math.inf
            return worst if len(goals) == 1 else [worst] * len(goals)
        reward = evaluation["reward"]
        if evaluation["status"] != "ok" or reward is None:
            trial.set_user_attr("designgym_message", f"{evaluation['status']}: {evaluation.get('message', 'no reward')}")
            return math.nan if len(goals) == 1 else [math.nan] * len(goals)
        if len(goals) > 1:
            return list(evaluation.get("rewards") or _rewards(evaluation, session))
        return reward

    return evaluate


def _rewards(evaluation, session):
    """The reward vector of a Pareto objective from an evaluation's metrics and the objective's goals."""
    goals = session.objective[len("pareto:"):].split(";")[0].split(",")
    vector = []
    for goal in goals:
        metric, direction = goal.rsplit(":", 1)
        value = evaluation["metrics"][metric]
        vector.append(-value if direction == "min" else value)
    return vector
