// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "DesignGym",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gym", targets: ["gym"]),
        .library(name: "GymCore", targets: ["GymCore"]),
        .library(name: "GymStore", targets: ["GymStore"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "GymCatalog", targets: ["GymCatalog"]),
        .library(name: "GymTestSupport", targets: ["GymTestSupport"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "GymTransport", targets: ["GymTransport"]),
        .library(name: "ProxyModels", targets: ["ProxyModels"]),
        .library(name: "GymFiles", targets: ["GymFiles"]),
        .library(name: "GymCommandLine", targets: ["GymCommandLine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // The protocol every environment and agent speaks. Foundation only.
        // No target sets unsafe compiler flags, so other packages can depend on these products; the tests
        // run on an optimised build instead (`make test`: swift test -c release -Xswiftc -enable-testing).
        .target(name: "GymCore"),
        // The SQLite trajectory store.
        .target(name: "GymStore", dependencies: ["GymCore", .product(name: "GRDB", package: "GRDB.swift")]),
        // libzmq, and the designgym/1 protocol over it: server, client, remote environments.
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "GymTransport", dependencies: ["GymCore", "GymStore", "Experiments", "CZeroMQ"]),
        // OpenBLAS (CBLAS) and LAPACKE, and the dense linear algebra built on them.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS"]),
        // Proxy cost models trained on logged trials.
        .target(name: "ProxyModels", dependencies: ["GymCore", "LinearAlgebra"]),
        // Description files (JSON and YAML) read with bounds: size, nesting, alias expansion.
        .target(name: "GymFiles", dependencies: ["GymCore", .product(name: "Yams", package: "Yams")]),
        // The ask/tell experiment loop over any environment, agent and store.
        .target(name: "Experiments", dependencies: ["GymCore", "GymStore", "GymFiles"]),

        // Environments: one target per simulator.
        .target(name: "SyntheticEnvironments", dependencies: ["GymCore"], path: "Environments/Synthetic"),
        .target(name: "DiffusionSampler", dependencies: ["GymCore"], path: "Environments/DiffusionSampler"),

        .target(name: "MemoryController", dependencies: ["GymCore"], path: "Environments/MemoryController",
                exclude: ["Resources/NOTICE.md"], resources: [.copy("Resources")]),

        .target(name: "Accelerator", dependencies: ["GymCore", "GymFiles"], path: "Environments/Accelerator"),

        .target(name: "NASBench201", dependencies: ["GymCore"], path: "Environments/NASBench201",
                exclude: ["Resources/NOTICE.md"], resources: [.copy("Resources")]),

        // Any program as an environment, declared in a spec file (Command:<file>).
        .target(name: "ExternalEnvironments", dependencies: ["GymCore", "GymFiles"], path: "Environments/External",
                exclude: ["SCALESim"]),

        .target(name: "Supernet", dependencies: ["GymCore", "LinearAlgebra", "Accelerator"], path: "Environments/Supernet",
                exclude: ["Resources/NOTICE.md"], resources: [.copy("Resources")]),
        .target(name: "CoDesign", dependencies: ["GymCore", "Accelerator", "Supernet"], path: "Environments/CoDesign"),

        // Agents: one target per search algorithm.
        .target(name: "RandomSearch", dependencies: ["GymCore"], path: "Agents/RandomSearch"),
        .target(name: "GeneticAlgorithm", dependencies: ["GymCore"], path: "Agents/GeneticAlgorithm"),
        .target(name: "AntColony", dependencies: ["GymCore"], path: "Agents/AntColony"),
        .target(name: "ReinforcementLearning", dependencies: ["GymCore", "LinearAlgebra"], path: "Agents/ReinforcementLearning"),
        .target(name: "BayesianOptimization", dependencies: ["GymCore", "LinearAlgebra"], path: "Agents/BayesianOptimization"),

        // Every environment and agent, registered by id.
        .target(name: "GymCatalog", dependencies: [
            "GymCore", "SyntheticEnvironments", "DiffusionSampler", "MemoryController", "RandomSearch", "GeneticAlgorithm", "AntColony",
            "BayesianOptimization", "ReinforcementLearning", "ProxyModels", "Accelerator", "NASBench201", "Supernet",
            "CoDesign", "ExternalEnvironments",
        ]),
        // Conformance checks reused by the tests of every environment and agent.
        .target(name: "GymTestSupport", dependencies: ["GymCore", "GymTransport"]),
        // The command line, as a library: a package of your own builds its own `gym` with it.
        .target(name: "GymCommandLine", dependencies: [
            "GymCore", "GymStore", "Experiments", "GymTestSupport", "GymTransport", "ProxyModels", "GymFiles",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "gym", dependencies: ["GymCommandLine", "GymCatalog"]),

        .executableTarget(name: "gym-bench", dependencies: ["GymCore", "GymStore", "Experiments", "GymCatalog", "DiffusionSampler", "MemoryController", "ProxyModels", "GymTransport", "CZeroMQ", "Accelerator", "Supernet"],
                          path: "Benchmarks/GymBench"),

        .testTarget(name: "GymCoreTests", dependencies: ["GymCore"]),
        .testTarget(name: "GymFilesTests", dependencies: ["GymFiles", "GymCore"]),
        .testTarget(name: "ExternalEnvironmentsTests", dependencies: ["ExternalEnvironments", "GymCatalog", "GymTestSupport", "GymCore"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "GymTransportTests", dependencies: ["GymTransport", "GymCatalog", "GymTestSupport", "GymCore", "GymStore", "Experiments", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "GymStoreTests", dependencies: ["GymStore", "GymCore"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "GymCatalog", "GymStore", "GymCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SyntheticTests", dependencies: ["SyntheticEnvironments", "GymCore"]),
        .testTarget(name: "DiffusionSamplerTests", dependencies: ["DiffusionSampler", "GymCore"]),
        .testTarget(name: "MemoryControllerTests", dependencies: ["MemoryController", "GymCore"]),
        .testTarget(name: "AcceleratorTests", dependencies: ["Accelerator", "GymCore"]),
        .testTarget(name: "NASBench201Tests", dependencies: ["NASBench201", "GymCore"]),
        .testTarget(name: "SupernetTests", dependencies: ["Supernet", "GymCore", "LinearAlgebra"]),
        .testTarget(name: "CoDesignTests", dependencies: ["CoDesign", "Supernet", "Accelerator", "GymCore"]),
        .testTarget(name: "ProxyModelsTests", dependencies: ["ProxyModels", "GymCatalog", "GymTestSupport", "GymCore"]),
        .testTarget(name: "RandomSearchTests", dependencies: ["RandomSearch", "GymCore"]),
        .testTarget(name: "AgentQualityTests", dependencies: ["GeneticAlgorithm", "AntColony", "BayesianOptimization", "ReinforcementLearning", "GymCatalog", "Experiments", "GymStore", "GymCore"]),
        .testTarget(name: "ConformanceTests", dependencies: ["GymCatalog", "GymTestSupport", "GymCore"]),
        .testTarget(name: "CLITests", dependencies: ["gym", "GymStore", "GymCore", "ProxyModels", "GymTransport", "CZeroMQ"]),
    ]
)
