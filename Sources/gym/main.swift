import GymCatalog
import GymCommandLine

// DesignGym's own `gym`: every environment and agent it ships. A package of your own builds its `gym`
// the same way, with its registry (see docs/ADDING_AN_ENVIRONMENT.md).
GymCommandLine.main(registry: Catalog.registry)
