/// The loops of a layer's nest. A convolution is the 7-deep nest over B, K, C, OY, OX, FY, FX (Timeloop's
/// and ZigZag's workload model); G, an outer loop over independent groups, makes it grouped or depthwise
/// (K and C are then per group). A GEMM or fully-connected layer is the case OY = FY = FX = 1.
public enum LoopDimension: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable, Comparable {
    case g = "G", b = "B", k = "K", c = "C", oy = "OY", ox = "OX", fy = "FY", fx = "FX"

    public static func < (a: LoopDimension, b: LoopDimension) -> Bool { a.index < b.index }

    /// Position in `allCases`, for arrays indexed by dimension.
    public var index: Int {
        switch self {
        case .g: return 0
        case .b: return 1
        case .k: return 2
        case .c: return 3
        case .oy: return 4
        case .ox: return 5
        case .fy: return 6
        case .fx: return 7
        }
    }
}

/// The three tensors of a layer.
public enum Operand: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable {
    /// W[G][K][C][FY][FX].
    case weights
    /// I[B][G][C][IY][IX], IY = (OY − 1)·strideY + FY.
    case inputs
    /// O[B][G][K][OY][OX].
    case outputs

    /// Position in `allCases`.
    public var index: Int {
        switch self {
        case .weights: return 0
        case .inputs: return 1
        case .outputs: return 2
        }
    }

    /// Whether a loop over `dimension` indexes this tensor. Inputs are indexed by OY and FY together
    /// (through IY), and by OX and FX (through IX).
    public func isIndexed(by dimension: LoopDimension) -> Bool {
        switch (self, dimension) {
        case (_, .g): return true
        case (.weights, .k), (.weights, .c), (.weights, .fy), (.weights, .fx): return true
        case (.inputs, .b), (.inputs, .c), (.inputs, .oy), (.inputs, .ox), (.inputs, .fy), (.inputs, .fx): return true
        case (.outputs, .b), (.outputs, .k), (.outputs, .oy), (.outputs, .ox): return true
        default: return false
        }
    }

    /// Whether `dimension` is a reduction for this tensor: outputs are summed over C, FY and FX.
    public func isReduced(by dimension: LoopDimension) -> Bool {
        self == .outputs && [.c, .fy, .fx].contains(dimension)
    }
}

/// One layer as a loop nest with strides, padding and per-operand precision.
public struct Layer: Codable, Sendable, Equatable {
    public var name: String
    /// Loop bounds in `LoopDimension.allCases` order (each ≥ 1).
    public var sizes: [Int]
    public var strideY: Int
    public var strideX: Int
    /// Zero rows and columns added on each side of the input (affects only the input's stored size).
    public var paddingY: Int
    public var paddingX: Int
    /// Bits per element of each operand in `Operand.allCases` order (outputs are the partial sums' width).
    public var precision: [Int]

    public init(name: String, bounds: [LoopDimension: Int], strideY: Int = 1, strideX: Int = 1, paddingY: Int = 0,
                paddingX: Int = 0, bits: [Operand: Int] = Layer.defaultBits) {
        self.name = name
        self.sizes = LoopDimension.allCases.map { bounds[$0] ?? 1 }
        self.strideY = strideY
        self.strideX = strideX
        self.paddingY = paddingY
        self.paddingX = paddingX
        self.precision = Operand.allCases.map { bits[$0] ?? 16 }
    }

    /// Loop bounds by dimension.
    public var bounds: [LoopDimension: Int] {
        get { Dictionary(uniqueKeysWithValues: LoopDimension.allCases.map { ($0, sizes[$0.index]) }) }
        set { sizes = LoopDimension.allCases.map { newValue[$0] ?? 1 } }
    }

    /// Bits per element by operand.
    public var bits: [Operand: Int] {
        get { Dictionary(uniqueKeysWithValues: Operand.allCases.map { ($0, precision[$0.index]) }) }
        set { precision = Operand.allCases.map { newValue[$0] ?? 16 } }
    }

    /// Bits per element of `operand`.
    public func bits(of operand: Operand) -> Int { precision[operand.index] }

    private enum CodingKeys: String, CodingKey { case name, bounds, strideY, strideX, paddingY, paddingX, bits }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name), bounds: try container.decode([LoopDimension: Int].self, forKey: .bounds),
                  strideY: try container.decode(Int.self, forKey: .strideY), strideX: try container.decode(Int.self, forKey: .strideX),
                  paddingY: try container.decode(Int.self, forKey: .paddingY), paddingX: try container.decode(Int.self, forKey: .paddingX),
                  bits: try container.decode([Operand: Int].self, forKey: .bits))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(bounds, forKey: .bounds)
        try container.encode(strideY, forKey: .strideY)
        try container.encode(strideX, forKey: .strideX)
        try container.encode(paddingY, forKey: .paddingY)
        try container.encode(paddingX, forKey: .paddingX)
        try container.encode(bits, forKey: .bits)
    }

    /// The largest loop bound, stride or padding a layer file may give (2^31).
    public static let maximumBound = 1 << 31
    /// The most multiply-accumulates a layer or a network may have (2^50, some 10^15; ResNet-50 has 4·10^9),
    /// so that every count the cost model forms — accesses, bits, cycles — fits in 64 bits.
    public static let maximumMACs = 1 << 50
    /// The most bits a tensor may hold (2^58).
    public static let maximumBits = 1 << 58

    /// A layer too large to count in 64-bit integers.
    public struct TooLarge: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Throws `TooLarge` unless the layer's multiply-accumulates and its tensors, in bits, stay within
    /// `maximumMACs` (checked without overflowing).
    public func checkSize() throws {
        func product(_ values: [Int], limit: Int = Self.maximumMACs) -> Int? {
            var result = 1
            for value in values {
                let (next, overflow) = result.multipliedReportingOverflow(by: max(1, value))
                guard !overflow, next <= limit else { return nil }
                result = next
            }
            return result
        }
        guard sizes.allSatisfy({ $0 >= 1 && $0 <= Self.maximumBound }), product(sizes) != nil else {
            throw TooLarge(description: "its loop bounds \(sizes) multiply to more than \(Self.maximumMACs) multiply-accumulates, the most modelled")
        }
        let windowY = product([self[.oy], strideY]).map { $0 + self[.fy] }, windowX = product([self[.ox], strideX]).map { $0 + self[.fx] }
        let bits = precision.max() ?? 16
        guard let windowY, let windowX, product([self[.b], self[.g], self[.c], windowY, windowX, bits], limit: Self.maximumBits) != nil,
              product([self[.g], self[.k], self[.c], self[.fy], self[.fx], bits], limit: Self.maximumBits) != nil,
              product([self[.b], self[.g], self[.k], self[.oy], self[.ox], bits], limit: Self.maximumBits) != nil else {
            throw TooLarge(description: "its tensors hold more than \(Self.maximumBits) bits, the most modelled")
        }
    }

    /// 16-bit weights and inputs, 16-bit outputs (Eyeriss's precision).
    public static let defaultBits: [Operand: Int] = [.weights: 16, .inputs: 16, .outputs: 16]

    /// The bound of `dimension`.
    public subscript(dimension: LoopDimension) -> Int { sizes[dimension.index] }

    /// Multiply-accumulates: the product of all bounds.
    public var macs: Int { sizes.reduce(1, *) }

    /// Input rows and columns the nest reads, padding included: (O − 1)·stride + F.
    public var inputWindowY: Int { (self[.oy] - 1) * strideY + self[.fy] }
    public var inputWindowX: Int { (self[.ox] - 1) * strideX + self[.fx] }

    /// Elements of each tensor as stored (inputs without their zero padding).
    public func elements(of operand: Operand) -> Int {
        switch operand {
        case .weights: return self[.g] * self[.k] * self[.c] * self[.fy] * self[.fx]
        case .outputs: return self[.b] * self[.g] * self[.k] * self[.oy] * self[.ox]
        case .inputs:
            return self[.b] * self[.g] * self[.c] * max(1, inputWindowY - 2 * paddingY) * max(1, inputWindowX - 2 * paddingX)
        }
    }

    /// The elements of a tile of `operand` spanned by the loop bounds `tile` (one entry per dimension,
    /// in `LoopDimension.allCases` order). An input tile spans (oy − 1)·stride + fy rows when it covers
    /// both, clipped to the layer's window.
    public func tileElements(of operand: Operand, tile: [Int]) -> Int {
        func t(_ dimension: LoopDimension) -> Int { tile[dimension.index] }
        switch operand {
        case .weights: return t(.g) * t(.k) * t(.c) * t(.fy) * t(.fx)
        case .outputs: return t(.b) * t(.g) * t(.k) * t(.oy) * t(.ox)
        case .inputs:
            let rows = min(inputWindowY, (t(.oy) - 1) * strideY + t(.fy))
            let columns = min(inputWindowX, (t(.ox) - 1) * strideX + t(.fx))
            return t(.b) * t(.g) * t(.c) * rows * columns
        }
    }
}

extension Layer {
    /// A convolution of an `inputY`×`inputX` input with `inputChannels` channels to `outputChannels`,
    /// with a `kernelY`×`kernelX` filter; `groups` splits the channels into independent groups (depthwise
    /// when `groups == inputChannels == outputChannels`). Output size ⌊(in + 2·pad − kernel)/stride⌋ + 1.
    public static func convolution(_ name: String, inputChannels: Int, outputChannels: Int, inputY: Int, inputX: Int,
                                   kernelY: Int, kernelX: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
                                   batch: Int = 1, bits: [Operand: Int] = defaultBits) -> Layer {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0, "channels must divide into groups")
        let outputY = (inputY + 2 * padding - kernelY) / stride + 1
        let outputX = (inputX + 2 * padding - kernelX) / stride + 1
        return Layer(name: name, bounds: [.g: groups, .b: batch, .k: outputChannels / groups, .c: inputChannels / groups,
                                          .oy: outputY, .ox: outputX, .fy: kernelY, .fx: kernelX],
                     strideY: stride, strideX: stride, paddingY: padding, paddingX: padding, bits: bits)
    }

    /// A square convolution on a square input.
    public static func convolution(_ name: String, _ inputChannels: Int, _ outputChannels: Int, size: Int, kernel: Int,
                                   stride: Int = 1, padding: Int? = nil, groups: Int = 1) -> Layer {
        convolution(name, inputChannels: inputChannels, outputChannels: outputChannels, inputY: size, inputX: size,
                    kernelY: kernel, kernelX: kernel, stride: stride, padding: padding ?? kernel / 2, groups: groups)
    }

    /// A fully-connected layer: `inputs` → `outputs` for `batch` samples.
    public static func fullyConnected(_ name: String, inputs: Int, outputs: Int, batch: Int = 1,
                                      bits: [Operand: Int] = defaultBits) -> Layer {
        Layer(name: name, bounds: [.b: batch, .k: outputs, .c: inputs], bits: bits)
    }

    /// A (batched) matrix product: `groups` independent products of an m×k matrix (the inputs) by a k×n
    /// matrix (the weights), giving m×n outputs each. Rows map to OX, so the output-stationary dataflows
    /// of convolutions apply; the reduction k is C and the columns n are K.
    public static func gemm(_ name: String, m: Int, n: Int, k: Int, groups: Int = 1, bits: [Operand: Int] = defaultBits) -> Layer {
        Layer(name: name, bounds: [.g: groups, .k: n, .c: k, .ox: m], bits: bits)
    }
}
