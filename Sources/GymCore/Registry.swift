/// A registered environment: its id, a description and how to make it.
public struct EnvironmentEntry: Sendable {
    /// The versioned id.
    public var id: String
    /// One sentence saying what it simulates.
    public var summary: String
    /// Makes an instance from options; throws `EnvironmentError` for unknown workloads or options.
    public var make: @Sendable (EnvironmentOptions) throws -> any Environment
    /// Costly work its first evaluation does before anything else (training a supernet, say), or nil.
    /// `gym check` leaves such an environment out unless it is named.
    public var preparation: String?

    /// Creates an entry.
    public init(id: String, summary: String, preparation: String? = nil,
                make: @escaping @Sendable (EnvironmentOptions) throws -> any Environment) {
        self.id = id
        self.summary = summary
        self.preparation = preparation
        self.make = make
    }
}

/// A registered agent: its id, a description, its typed hyperparameters and how to make it.
public struct AgentEntry: Sendable {
    /// The agent's id, such as "random".
    public var id: String
    /// One sentence saying how it searches.
    public var summary: String
    /// Its hyperparameters as a parameter space: types, ranges and defaults, so sweeps can grid over them.
    public var hyperparameters: ParameterSpace
    /// Named hyperparameter grids for sweeps (for example "archgym": the grid ArchGym's study swept),
    /// each a list of values per hyperparameter; hyperparameters left out keep their defaults.
    public var grids: [String: [String: [ParameterValue]]]
    /// Makes an agent from a configuration whose hyperparameters are valid in `hyperparameters`.
    public var make: @Sendable (AgentConfiguration) throws -> any Agent

    /// Creates an entry.
    public init(id: String, summary: String, hyperparameters: ParameterSpace, grids: [String: [String: [ParameterValue]]] = [:],
                make: @escaping @Sendable (AgentConfiguration) throws -> any Agent) {
        self.id = id
        self.summary = summary
        self.hyperparameters = hyperparameters
        self.grids = grids
        self.make = make
    }

    /// Every setting of the grid `name`, as hyperparameter values (the Cartesian product, in a fixed order).
    public func settings(ofGrid name: String) -> [[String: ParameterValue]]? {
        guard let grid = grids[name] else { return nil }
        var settings: [[String: ParameterValue]] = [[:]]
        for key in grid.keys.sorted() {
            settings = settings.flatMap { setting in grid[key]!.map { value in setting.merging([key: value]) { $1 } } }
        }
        return settings
    }
}

/// Environments and agents by id: the one list the CLI, the server and clients share.
/// Environments named `<prefix><parameter>`, such as `Proxy:<file>`, made on demand.
public struct EnvironmentFamily: Sendable {
    /// The id prefix, such as `Proxy:`.
    public var prefix: String
    /// What the parameter is, for listings (`<file>`).
    public var parameterName: String
    /// One sentence.
    public var summary: String
    /// Makes the environment for a parameter; the registry is passed so a family can consult the others.
    public var make: @Sendable (String, EnvironmentOptions, Registry) throws -> any Environment

    public init(prefix: String, parameterName: String, summary: String,
                make: @escaping @Sendable (String, EnvironmentOptions, Registry) throws -> any Environment) {
        self.prefix = prefix
        self.parameterName = parameterName
        self.summary = summary
        self.make = make
    }
}

public struct Registry: Sendable {
    /// Registered environments in registration order.
    public private(set) var environments: [EnvironmentEntry] = []
    /// Registered agents in registration order.
    public private(set) var agents: [AgentEntry] = []

    /// Families of environments named by a prefix and a parameter (`Proxy:<file>`), resolved on demand.
    public private(set) var families: [EnvironmentFamily] = []

    /// An empty registry.
    public init() {}

    /// Adds a family of environments whose ids start with `family.prefix`.
    public mutating func register(_ family: EnvironmentFamily) {
        precondition(!families.contains { $0.prefix == family.prefix }, "family \(family.prefix) registered twice")
        families.append(family)
    }

    /// Adds an environment; a second entry with the same id is a programming error.
    public mutating func register(_ entry: EnvironmentEntry) {
        precondition(!environments.contains { $0.id == entry.id }, "environment \(entry.id) registered twice")
        environments.append(entry)
    }

    /// Adds an agent; a second entry with the same id is a programming error.
    public mutating func register(_ entry: AgentEntry) {
        precondition(!agents.contains { $0.id == entry.id }, "agent \(entry.id) registered twice")
        agents.append(entry)
    }

    /// The environment entry for `id`, or `RegistryError.unknownEnvironment` listing the ids there are.
    public func environment(_ id: String) throws -> EnvironmentEntry {
        if let entry = environments.first(where: { $0.id == id }) { return entry }
        if let family = families.first(where: { id.hasPrefix($0.prefix) }) {
            let parameter = String(id.dropFirst(family.prefix.count))
            return EnvironmentEntry(id: id, summary: family.summary) { options in try family.make(parameter, options, self) }
        }
        throw RegistryError.unknownEnvironment(id, known: environments.map(\.id) + families.map { $0.prefix + $0.parameterName })
    }

    /// The agent entry for `id`, or `RegistryError.unknownAgent` listing the ids there are.
    public func agent(_ id: String) throws -> AgentEntry {
        guard let entry = agents.first(where: { $0.id == id }) else {
            throw RegistryError.unknownAgent(id, known: agents.map(\.id))
        }
        return entry
    }

    /// Makes the environment `id` with `options`.
    public func makeEnvironment(_ id: String, options: EnvironmentOptions = EnvironmentOptions()) throws -> any Environment {
        try environment(id).make(options)
    }

    /// Makes the agent `id`; hyperparameters left out take their defaults, unknown or invalid ones throw `DesignError`.
    public func makeAgent(_ id: String, space: ParameterSpace, objective: Objective, seed: UInt64,
                          hyperparameters: [String: ParameterValue] = [:]) throws -> any Agent {
        let entry = try agent(id)
        let values = try entry.hyperparameters.design(from: hyperparameters, fillingDefaults: true)
        return try entry.make(AgentConfiguration(space: space, objective: objective, seed: seed, hyperparameters: values))
    }
}

/// An id the registry does not know.
public enum RegistryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No environment has this id.
    case unknownEnvironment(String, known: [String])
    /// No agent has this id.
    case unknownAgent(String, known: [String])

    /// A sentence naming the id and the ones there are.
    public var description: String {
        switch self {
        case .unknownEnvironment(let id, let known):
            return "unknown environment '\(id)'\(Suggestion.phrase(for: id, among: known)); the environments are: \(known.joined(separator: ", "))"
        case .unknownAgent(let id, let known):
            return "unknown agent '\(id)'\(Suggestion.phrase(for: id, among: known)); the agents are: \(known.joined(separator: ", "))"
        }
    }
}
