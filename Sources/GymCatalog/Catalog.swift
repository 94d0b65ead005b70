import Accelerator
import AntColony
import BayesianOptimization
import CoDesign
import DiffusionSampler
import ExternalEnvironments
import GeneticAlgorithm
import GymCore
import MemoryController
import NASBench201
import ProxyModels
import RandomSearch
import ReinforcementLearning
import Supernet
import SyntheticEnvironments

/// Every environment and agent that ships with DesignGym, registered by id.
public enum Catalog {
    /// The registry the CLI, the server and the tests use.
    public static let registry: Registry = {
        var registry = Registry()
        registry.register(EnvironmentEntry(id: Branin.id, summary: "Branin–Hoo over a mixed real/integer/categorical space") {
            try Branin.make($0)
        })
        registry.register(EnvironmentEntry(id: Ackley.id, summary: "Ackley function on a discrete 5-D grid") {
            try Ackley.make($0)
        })
        registry.register(EnvironmentEntry(id: Knapsack.id, summary: "bounded knapsack with a capacity constraint") {
            try Knapsack.make($0)
        })
        registry.register(EnvironmentEntry(id: ZDT1.id, summary: "two-objective ZDT1 over a mixed space") {
            try ZDT1.make($0)
        })
        registry.register(EnvironmentEntry(
            id: DiffusionSamplerEnvironment.id, summary: "diffusion ODE solver schedules on a Gaussian mixture with an exact score"
        ) { try DiffusionSamplerEnvironment(options: $0) })
        registry.register(EnvironmentEntry(
            id: MemoryControllerEnvironment.id,
            summary: "cycle-accurate DDR4/DDR3 memory controller with DRAMPower energy, driven by memory traces"
        ) { try MemoryControllerEnvironment(options: $0) })
        registry.register(EnvironmentEntry(
            id: AcceleratorEnvironment.id,
            summary: "DNN accelerator: analytical loop-nest model with a mapper, over whole networks"
        ) { try AcceleratorEnvironment(options: $0) })
        registry.register(EnvironmentEntry(
            id: NASBench201Environment.id,
            summary: "NAS-Bench-201 cells with the accuracies the benchmark measured on CIFAR-10, CIFAR-100 and ImageNet16-120"
        ) { try NASBench201Environment(options: $0) })
        registry.register(EnvironmentEntry(
            id: SupernetEnvironment.id,
            summary: "subnets of a weight-shared supernet trained here on the UCI digits, evaluated with inherited weights",
            preparation: "trains its supernet on first use (about 11 s on 2 cores; then cached)"
        ) { try SupernetEnvironment(options: $0) })
        registry.register(EnvironmentEntry(
            id: CoDesignEnvironment.id,
            summary: "a Supernet-v1 subnet and an Accelerator-v0 architecture searched together (NASAIC): accuracy, latency, energy, area",
            preparation: "trains Supernet-v1's supernet on first use (about 11 s on 2 cores; then cached)"
        ) { try CoDesignEnvironment(options: $0) })
        registry.register(EnvironmentFamily(
            prefix: ProxyEnvironment.prefix, parameterName: "<file>",
            summary: "a proxy model saved by `gym proxy train`, standing in for its environment"
        ) { path, options, registry in
            let file = try ProxyFile.load(path)
            // The real environment now, to refuse a proxy of an older version of it.
            let current = try? registry.makeEnvironment(file.environment, options: EnvironmentOptions(workload: file.workload, values: file.options)).spec
            let name = EnvironmentSpec.split(file.environment).name
            let now = current ?? registry.environments.first { EnvironmentSpec.split($0.id).name == name }.flatMap { try? $0.make(EnvironmentOptions()).spec }
            return try ProxyEnvironment(path: path, current: now, options: options)
        })
        registry.register(EnvironmentFamily(
            prefix: CommandEnvironment.prefix, parameterName: "<spec file>",
            summary: "any program as an environment, declared in a spec file (docs/BRING_YOUR_OWN_SIMULATOR.md)"
        ) { path, options, _ in try CommandEnvironment(path: path, options: options) })
        registry.register(AgentEntry(id: RandomSearch.id, summary: "uniform random search",
                                     hyperparameters: RandomSearch.hyperparameters) { RandomSearch($0) })
        registry.register(AgentEntry(id: RandomWalker.id, summary: "ArchGym's random walker: one-parameter moves to neighbours",
                                     hyperparameters: RandomWalker.hyperparameters) { RandomWalker($0) })
        registry.register(AgentEntry(
            id: GeneticAlgorithm.id, summary: "genetic algorithm; NSGA-II for Pareto objectives",
            hyperparameters: GeneticAlgorithm.hyperparameters, grids: ["archgym": GeneticAlgorithm.archGymGrid]
        ) { GeneticAlgorithm($0) })
        registry.register(AgentEntry(
            id: AntColony.id, summary: "ant colony optimisation: pheromone per parameter value",
            hyperparameters: AntColony.hyperparameters, grids: ["archgym": AntColony.archGymGrid]
        ) { AntColony($0) })
        registry.register(AgentEntry(
            id: BayesianOptimization.id, summary: "Bayesian optimisation: Matérn-5/2 GP, EI/UCB/PI or a hedge over them",
            hyperparameters: BayesianOptimization.hyperparameters
        ) { BayesianOptimization($0) })
        registry.register(AgentEntry(
            id: ProximalPolicyOptimization.id, summary: "PPO: MLP policy with a categorical head per parameter",
            hyperparameters: ProximalPolicyOptimization.hyperparameters, grids: ["archgym": ProximalPolicyOptimization.archGymGrid]
        ) { ProximalPolicyOptimization($0) })
        return registry
    }()
}
