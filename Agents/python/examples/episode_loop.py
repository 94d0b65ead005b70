"""The standard Gymnasium loop (reset, step until terminated or truncated) that RL libraries run.

    python examples/episode_loop.py --endpoint tcp://127.0.0.1:5555 --env Knapsack-v0 --episodes 5 --length 4
"""

import argparse

from designgym import DesignGymEnv


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--env", default="Knapsack-v0")
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--length", type=int, default=4, help="steps per episode")
    parser.add_argument("--failure-reward", type=float, default=-100.0,
                        help="the reward of a design that is infeasible or fails (an overweight knapsack, say)")
    args = parser.parse_args()

    # A failed step needs a reward for the learner: it is given here, explicitly, and the server logs it.
    env = DesignGymEnv(args.endpoint, args.env, episode_length=args.length, flatten=True, failure_reward=args.failure_reward)
    env.action_space.seed(0)
    for episode in range(args.episodes):
        observation, _ = env.reset(seed=episode)
        total, steps, done = 0.0, 0, False
        while not done:
            observation, reward, terminated, truncated, info = env.step(env.action_space.sample())
            total += reward
            steps += 1
            done = terminated or truncated
        print(f"episode {episode}: {steps} steps, return {total:.6g}, last status {info['status']}")
    env.close()


if __name__ == "__main__":
    main()
