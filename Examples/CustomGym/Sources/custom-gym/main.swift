import GymCatalog
import GymCommandLine
import GymCore

// DesignGym's catalog with one environment of this package added: every command of `gym` (run, sweep,
// serve, broker, worker, check, report, proxy …) now knows Beam-v1 too.
var registry = Catalog.registry
registry.register(EnvironmentEntry(id: "Beam-v1", summary: "a cantilever beam under a tip load") { options in
    try Beam(options: options)
})
GymCommandLine.main(registry: registry)
