"""An Optuna study driving a served environment, logged by the server as an experiment.

The space comes from the server as Optuna distributions (ordinals ordered, log scales kept), infeasible
designs go through Optuna's constraints, and a Pareto objective becomes a multi-objective study. Started
against `gym serve --db FILE`, every evaluation is logged, so `gym show`, `gym report --experiment` and
`gym proxy train` see this study next to any `gym run`.

    pip install "designgym[examples]"      # Optuna
    gym serve --env Branin-v0 --db Logs/gym.sqlite &
    python examples/optuna_study.py --endpoint tcp://127.0.0.1:5555 --env Branin-v0 --trials 50
    gym show --db Logs/gym.sqlite          # the study is an experiment, agent optuna-tpe
"""

import argparse

import optuna

import designgym.optuna as dgo
from designgym import Client


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--env", default="Branin-v0")
    parser.add_argument("--objective", default=None, help="compact objective (default: the environment's)")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default=None, help="the experiment's name in the server's database")
    args = parser.parse_args()

    client = Client(args.endpoint)
    session = client.open(args.env, objective=args.objective, agent="optuna-tpe",
                          settings={"sampler": "TPESampler", "seed": args.seed, "optuna": optuna.__version__}, name=args.name)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    goals = dgo.directions(session.objective)
    study = dgo.create_study(session, seed=args.seed)
    study.optimize(dgo.objective(session), n_trials=args.trials)
    session.close()
    where = f" (experiment {session.experiment})" if session.experiment is not None else ""
    if len(goals) > 1:
        print(f"best rewards{where}: {len(study.best_trials)} designs on the front")
    else:
        print(f"best reward {study.best_value:.6g}{where} at {study.best_params}")


if __name__ == "__main__":
    main()
