// swift-tools-version: 6.1
// A package of your own that builds its own `gym`: DesignGym's environments and agents plus yours.
//
//   swift build -c release && .build/release/custom-gym run --env Beam-v1 --agent bayesian --budget 30
//
// Point the dependency at your clone of DesignGym (a path, as here, or its repository URL).
import PackageDescription

let package = Package(
    name: "CustomGym",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "DesignGym", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "custom-gym", dependencies: [
            .product(name: "GymCore", package: "DesignGym"),
            .product(name: "GymCatalog", package: "DesignGym"),
            .product(name: "GymCommandLine", package: "DesignGym"),
        ]),
    ]
)
