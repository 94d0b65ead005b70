"""DesignGym's Bayesian optimisation on a simulator written in Python: a study.

The simulator here is a server pool as an M/M/c queue (Erlang's C formula): `servers` identical servers,
each serving `service_rate` requests per second, take Poisson arrivals at `arrival_rate`. Its metrics are
the mean response time (waiting plus service) and a cost that grows with the pool's capacity. The study
minimises the response time among designs costing at most the budget: `latency_ms:min;cost<=40`.

Your own simulator goes where `simulate` is; the server needs no part of it. It only suggests designs
(its Gaussian process runs there) and logs what you observe:

    gym serve --db Logs/gym.sqlite &
    python examples/study_own_simulator.py --endpoint tcp://127.0.0.1:5555 --budget 30
    gym show --db Logs/gym.sqlite          # the study is an experiment on Queue-v1, agent bayesian
"""

import argparse
import math

from designgym import Study

SPACE = [
    {"name": "servers", "type": "integer", "lower": 1, "upper": 16, "default": 4},
    {"name": "service_rate", "type": "ordinal", "values": [50, 100, 200, 400, 800], "default": 100, "unit": "1/s"},
    {"name": "arrival_rate", "type": "real", "lower": 100, "upper": 1000, "default": 300, "unit": "1/s"},
]
METRICS = [
    {"name": "latency_ms", "unit": "ms", "goal": "minimize", "summary": "mean response time (Erlang C)"},
    {"name": "utilization", "unit": "1", "goal": "maximize", "summary": "offered load per server"},
    {"name": "cost", "unit": "1", "goal": "minimize", "summary": "servers × (service rate / 100)^1.5"},
]


def erlang_c(servers, load):
    """The probability that an arrival waits, for `servers` servers offered `load` Erlangs (< servers)."""
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    last = term * load / servers
    tail = last * servers / (servers - load)
    return tail / (total + tail)


def simulate(servers, service_rate, arrival_rate):
    """Metrics of an M/M/c pool; an unstable pool (arrivals outpace service) is infeasible."""
    load = arrival_rate / service_rate
    cost = servers * (service_rate / 100) ** 1.5
    if load >= servers:
        return "infeasible", {"cost": cost}
    waiting = erlang_c(servers, load) / (servers * service_rate - arrival_rate)
    return "ok", {"latency_ms": 1000 * (waiting + 1 / service_rate), "utilization": load / servers, "cost": cost}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--budget", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--agent", default="bayesian")
    args = parser.parse_args()

    with Study(args.endpoint, agent=args.agent, space=SPACE, metrics=METRICS, objective="latency_ms:min;cost<=40",
               simulator="Queue-v1", budget=args.budget, seed=args.seed, name="M/M/c pool") as study:
        best = None
        while not study.complete:
            for design in study.suggest():
                status, metrics = simulate(**design)
                reward = study.observe(design, metrics=metrics, status=status,
                                       message=None if status == "ok" else "arrivals outpace the servers")
                if reward is not None and (best is None or reward > best[0]):
                    best = (reward, design, metrics)
        print(f"study {study.experiment}: best reward {best[0]:.6g} at {best[1]} ({best[2]['latency_ms']:.3g} ms, cost {best[2]['cost']:.3g})")


if __name__ == "__main__":
    main()
