"""An Optuna study driving a served environment: the parameter space becomes Optuna distributions.

    pip install optuna
    python examples/optuna_study.py --endpoint tcp://127.0.0.1:5555 --env Branin-v0 --trials 50
"""

import argparse

import optuna

from designgym import Client


def suggest(trial, parameter):
    name, kind = parameter["name"], parameter["type"]
    if kind == "categorical":
        return trial.suggest_categorical(name, parameter["choices"])
    if kind == "ordinal":
        return trial.suggest_categorical(name, parameter["values"])
    if kind == "integer":
        return trial.suggest_int(name, parameter["lower"], parameter["upper"], step=parameter.get("step", 1),
                                 log=parameter.get("log", False))
    return trial.suggest_float(name, parameter["lower"], parameter["upper"], log=parameter.get("log", False))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--env", default="Branin-v0")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    client = Client(args.endpoint)
    spec = client.describe(args.env)
    session = client.open(args.env)

    def objective(trial):
        design = {p["name"]: suggest(trial, p) for p in spec["space"]["parameters"]}
        evaluation = session.evaluate([design])[0]
        if evaluation["reward"] is None:
            raise optuna.TrialPruned(evaluation.get("message", evaluation["status"]))
        return evaluation["reward"]  # DesignGym rewards are always maximised

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=args.seed))
    study.optimize(objective, n_trials=args.trials)
    session.close()
    print(f"best reward {study.best_value:.6g} at {study.best_params}")


if __name__ == "__main__":
    main()
