"""A small environment hosted in Python, for the hosting tests: Toy-v1.

    python hosted_toy.py --bind tcp://127.0.0.1:*       # designgym.serve
    python hosted_toy.py --connect tcp://127.0.0.1:5556 # designgym.work, for gym broker --hosted-env Toy-v1

Its metrics are closed forms a test can check by hand: cost = width · depth + 10 · (mode == "fast"),
score = width · rate (doubled on the "double" workload, times the `scale` option).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import designgym as dg  # noqa: E402


class Toy(dg.Environment):
    id = "Toy-v1"
    summary = "closed-form metrics for the hosting tests"
    parameters = [
        dg.integer("width", 1, 64, step=1, default=4),
        dg.ordinal("depth", [1, 2, 4, 8], default=2),
        dg.real("rate", 0.5, 2.0, default=1.0),
        dg.categorical("mode", ["slow", "fast", "broken", "sleepy", "lost"], default="slow"),
    ]
    constraints = [dg.constraint("area", "width × depth may be 256 at most", lambda design: design["width"] * design["depth"] <= 256)]
    metrics = [dg.metric("cost", "units", "minimize", "width × depth, plus 10 when fast"),
               dg.metric("score", "units", "maximize", "width × rate")]
    workloads = [dg.workload("single", "score as it is"), dg.workload("double", "score doubled")]
    options = [dg.option("scale", "multiplies the score", default=1)]
    objective = "cost:min"
    objectives = {"score": "score:max", "both": "pareto:cost:min,score:max"}

    def evaluate(self, design, workload, options):
        if design["mode"] == "broken":
            raise RuntimeError("the toy simulator broke on purpose")
        if design["mode"] == "sleepy":
            time.sleep(float(os.environ.get("TOY_SLEEP", "3")))
        if design["width"] == 13:
            raise dg.Infeasible("13 lanes cannot be routed")
        cost = design["width"] * design["depth"] + (10 if design["mode"] == "fast" else 0)
        score = design["width"] * design["rate"] * (2 if workload == "double" else 1) * float(options.get("scale", 1))
        if design["mode"] == "lost":
            return {"cost": cost}
        return {"cost": cost, "score": score}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind")
    parser.add_argument("--connect")
    args = parser.parse_args()
    if args.bind:
        dg.serve(Toy(), bind=args.bind)
    else:
        dg.work(Toy(), connect=args.connect, name=f"toy-{os.getpid()}")
