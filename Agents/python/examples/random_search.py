"""Random search against a served environment: sample designs from the action space, keep the best.

    gym serve --env Branin-v0 --bind tcp://127.0.0.1:5555 &
    python examples/random_search.py --endpoint tcp://127.0.0.1:5555 --env Branin-v0 --budget 200
"""

import argparse

from designgym import DesignGymEnv


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--env", default="Branin-v0")
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    env = DesignGymEnv(args.endpoint, args.env)
    env.action_space.seed(args.seed)
    best_reward, best_design = float("-inf"), None
    for _ in range(args.budget):
        env.reset(seed=args.seed)
        action = env.action_space.sample()
        _, reward, _, _, info = env.step(action)
        if info["status"] == "ok" and reward > best_reward:
            best_reward, best_design = reward, env.design(action)
    env.close()
    print(f"best reward {best_reward:.6g} at {best_design}")


if __name__ == "__main__":
    main()
