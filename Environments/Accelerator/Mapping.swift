/// One loop of a mapping: a dimension and its bound.
///
/// In JSON, `["K", 4]` (or `{"dimension": "K", "bound": 4}`).
public struct Loop: Codable, Sendable, Equatable, Hashable {
    public var dimension: LoopDimension
    public var bound: Int

    public init(_ dimension: LoopDimension, _ bound: Int) {
        self.dimension = dimension
        self.bound = bound
    }

    private enum CodingKeys: String, CodingKey { case dimension, bound }

    public init(from decoder: any Decoder) throws {
        if var pair = try? decoder.unkeyedContainer() {
            let name = try pair.decode(String.self)
            guard let dimension = LoopDimension(rawValue: name.uppercased()) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "unknown loop '\(name)'; loops are \(LoopDimension.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            self.init(dimension, try pair.decode(Int.self))
        } else {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(try container.decode(LoopDimension.self, forKey: .dimension), try container.decode(Int.self, forKey: .bound))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var pair = encoder.unkeyedContainer()
        try pair.encode(dimension.rawValue)
        try pair.encode(bound)
    }
}

/// How a layer's loop nest runs on an architecture: the loops unrolled over each array dimension (the
/// dataflow), and for each memory level the temporal loops it iterates, outermost first.
///
/// Spatial loops of an array dimension sit just inside the innermost level shared across that dimension.
/// For every loop dimension, the product of its bounds over all spatial and temporal loops must equal
/// the layer's bound (dimensions a mapping leaves out have bound 1).
public struct Mapping: Codable, Sendable, Equatable {
    /// Array dimension name → loops unrolled over it.
    public var spatial: [String: [Loop]]
    /// Level name → its temporal loops, outermost first.
    public var temporal: [String: [Loop]]

    public init(spatial: [String: [Loop]] = [:], temporal: [String: [Loop]]) {
        self.spatial = spatial
        self.temporal = temporal
    }

    private enum CodingKeys: String, CodingKey { case spatial, temporal }

    /// Reads `{"spatial": {dimension: loops}, "temporal": {level: loops}}`; `spatial` may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        spatial = try container.decodeIfPresent([String: [Loop]].self, forKey: .spatial) ?? [:]
        temporal = try container.decode([String: [Loop]].self, forKey: .temporal)
    }

    /// A mapping that does not fit its layer or architecture, with the reason.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Checks the mapping against `layer` and `architecture`: known names, bounds ≥ 1, the spatial
    /// loops of each array dimension within its size, and every dimension's loops multiplying to the layer's bound.
    public func validate(for layer: Layer, on architecture: Architecture) throws {
        let isArrayDimension = { (name: String) in architecture.array.contains { $0.name == name } }
        let isLevel = { (name: String) in architecture.levels.contains { $0.name == name } }
        if spatial.keys.contains(where: { !isArrayDimension($0) }), let name = spatial.keys.filter({ !isArrayDimension($0) }).min() {
            throw Invalid(description: "mapping unrolls loops over '\(name)', which is not an array dimension of \(architecture.name) (\(architecture.array.map(\.name).joined(separator: ", ")))")
        }
        if temporal.keys.contains(where: { !isLevel($0) }), let name = temporal.keys.filter({ !isLevel($0) }).min() {
            throw Invalid(description: "mapping gives loops to level '\(name)', which \(architecture.name) does not have (\(architecture.levels.map(\.name).joined(separator: ", ")))")
        }
        var product = [Int](repeating: 1, count: LoopDimension.allCases.count)
        for loops in [spatial.values, temporal.values].joined() {
            for loop in loops {
                guard loop.bound >= 1 else { throw Invalid(description: "loop \(loop.dimension.rawValue) has bound \(loop.bound); bounds are at least 1") }
                product[loop.dimension.index] *= loop.bound
            }
        }
        for dimension in architecture.array {
            let used = (spatial[dimension.name] ?? []).reduce(1) { $0 * $1.bound }
            guard used <= dimension.size else {
                throw Invalid(description: "mapping unrolls \(used) iterations over array dimension \(dimension.name) of size \(dimension.size)")
            }
        }
        for dimension in LoopDimension.allCases where product[dimension.index] != layer[dimension] {
            throw Invalid(description: "the loops over \(dimension.rawValue) multiply to \(product[dimension.index]), but layer \(layer.name) has \(dimension.rawValue) = \(layer[dimension])")
        }
    }
}
