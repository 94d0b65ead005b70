import Foundation

/// A network given by the user as JSON: a name and a list of layers, each one of
///
/// - `{"type": "conv", "name": "c1", "in_channels": 3, "out_channels": 64, "input": [224, 224],
///   "kernel": [7, 7], "stride": 2, "padding": 3, "groups": 1, "batch": 1}` (`input` and `kernel` may
///   be one number for a square; `stride` defaults to 1, `padding` to kernel / 2, `groups` and `batch` to 1);
/// - `{"type": "fc", "name": "fc", "inputs": 512, "outputs": 1000, "batch": 1}`;
/// - `{"type": "gemm", "name": "qk", "m": 128, "n": 128, "k": 64, "groups": 12}`;
/// - `{"type": "loops", "name": "x", "bounds": {"K": 64, "C": 64, "OY": 56, "OX": 56, "FY": 3, "FX": 3},
///   "stride": [1, 1], "padding": [1, 1]}` — the loop nest directly (G, B, K, C, OY, OX, FY, FX; missing
///   bounds are 1).
///
/// Any layer, and the file as a whole, may give `"bits": {"weights": 8, "inputs": 8, "outputs": 24}`
/// (the layer's entry wins; the default is 16 bits each).
public enum NetworkFile {
    /// A layer the file describes wrongly, with its position and what is wrong.
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    private struct File: Decodable {
        var name: String?
        var bits: [String: Int]?
        var layers: [Entry]
    }

    private struct Entry: Decodable {
        var type: String
        var name: String?
        var bits: [String: Int]?
        // conv
        var in_channels: Int?, out_channels: Int?, input: Pair?, kernel: Pair?, stride: Pair?, padding: Pair?
        var groups: Int?, batch: Int?
        // fc
        var inputs: Int?, outputs: Int?
        // gemm
        var m: Int?, n: Int?, k: Int?
        // loops
        var bounds: [String: Int]?
    }

    /// One number for both axes, or [y, x].
    private struct Pair: Decodable {
        var y: Int, x: Int
        init(y: Int, x: Int) {
            self.y = y
            self.x = x
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let both = try? container.decode(Int.self) {
                (y, x) = (both, both)
            } else {
                let pair = try container.decode([Int].self)
                guard pair.count == 2 else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number or [y, x]")
                }
                (y, x) = (pair[0], pair[1])
            }
        }
    }

    /// The network described by the JSON `data`; `fallbackName` names it when the file does not.
    public static func parse(_ data: Data, fallbackName: String) throws -> Network {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw FormatError(description: "not a network file: \(error); expected {\"name\": …, \"layers\": [{\"type\": \"conv\" | \"fc\" | \"gemm\" | \"loops\", …}]}")
        }
        guard !file.layers.isEmpty else { throw FormatError(description: "the network has no layers") }
        let defaultBits = try bits(file.bits, base: Layer.defaultBits, at: "the file")
        var layers: [Layer] = []
        for (position, entry) in file.layers.enumerated() {
            let name = entry.name ?? "layer\(position + 1)"
            let at = "layer \(position + 1) (\(name))"
            func require(_ value: Int?, _ field: String) throws -> Int {
                guard let value else { throw FormatError(description: "\(at): a \(entry.type) layer needs \"\(field)\"") }
                guard value >= 1 else { throw FormatError(description: "\(at): \"\(field)\" must be at least 1, not \(value)") }
                guard value <= Layer.maximumBound else {
                    throw FormatError(description: "\(at): \"\(field)\" is \(value); the largest size modelled is \(Layer.maximumBound)")
                }
                return value
            }
            for (field, pair) in [("input", entry.input), ("kernel", entry.kernel), ("stride", entry.stride), ("padding", entry.padding)] {
                guard let pair else { continue }
                guard abs(pair.y) <= Layer.maximumBound, abs(pair.x) <= Layer.maximumBound else {
                    throw FormatError(description: "\(at): \"\(field)\" is [\(pair.y), \(pair.x)]; the largest size modelled is \(Layer.maximumBound)")
                }
            }
            let layerBits = try bits(entry.bits, base: defaultBits, at: at)
            var layer: Layer
            switch entry.type {
            case "conv":
                let inChannels = try require(entry.in_channels, "in_channels"), outChannels = try require(entry.out_channels, "out_channels")
                guard let input = entry.input else { throw FormatError(description: "\(at): a conv layer needs \"input\" ([rows, columns])") }
                guard let kernel = entry.kernel else { throw FormatError(description: "\(at): a conv layer needs \"kernel\"") }
                let stride = entry.stride ?? Pair(y: 1, x: 1)
                guard stride.y == stride.x else { throw FormatError(description: "\(at): strides must be equal on both axes") }
                guard stride.y >= 1 else { throw FormatError(description: "\(at): \"stride\" must be at least 1, not \(stride.y)") }
                let padding = entry.padding ?? Pair(y: kernel.y / 2, x: kernel.x / 2)
                guard input.y + 2 * padding.y >= kernel.y, input.x + 2 * padding.x >= kernel.x, kernel.y >= 1, kernel.x >= 1,
                      padding.y >= 0, padding.x >= 0 else {
                    throw FormatError(description: "\(at): a \(kernel.y)×\(kernel.x) kernel does not fit the \(input.y)×\(input.x) input with padding \(padding.y)×\(padding.x)")
                }
                let groups = try require(entry.groups ?? 1, "groups")
                guard inChannels % groups == 0, outChannels % groups == 0 else {
                    throw FormatError(description: "\(at): \(groups) groups must divide in_channels \(inChannels) and out_channels \(outChannels)")
                }
                layer = .convolution(name, inputChannels: inChannels, outputChannels: outChannels, inputY: input.y, inputX: input.x,
                                     kernelY: kernel.y, kernelX: kernel.x, stride: try require(stride.y, "stride"),
                                     padding: padding.y, groups: groups, batch: try require(entry.batch ?? 1, "batch"))
                layer.paddingX = padding.x
                layer.bounds[.ox] = (input.x + 2 * padding.x - kernel.x) / stride.x + 1
            case "fc":
                layer = .fullyConnected(name, inputs: try require(entry.inputs, "inputs"), outputs: try require(entry.outputs, "outputs"),
                                        batch: try require(entry.batch ?? 1, "batch"))
            case "gemm":
                layer = .gemm(name, m: try require(entry.m, "m"), n: try require(entry.n, "n"), k: try require(entry.k, "k"),
                              groups: try require(entry.groups ?? 1, "groups"))
            case "loops":
                guard let given = entry.bounds else { throw FormatError(description: "\(at): a loops layer needs \"bounds\"") }
                var bounds: [LoopDimension: Int] = [:]
                for (key, value) in given {
                    guard let dimension = LoopDimension(rawValue: key.uppercased()) else {
                        throw FormatError(description: "\(at): unknown loop '\(key)'; loops are \(LoopDimension.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    bounds[dimension] = try require(value, key)
                }
                let stride = entry.stride, padding = entry.padding
                layer = Layer(name: name, bounds: bounds, strideY: stride?.y ?? 1, strideX: stride?.x ?? 1,
                              paddingY: padding?.y ?? 0, paddingX: padding?.x ?? 0)
            default:
                throw FormatError(description: "\(at): unknown type '\(entry.type)'; types are conv, fc, gemm, loops")
            }
            layer.bits = layerBits
            do {
                try layer.checkSize()
            } catch let error as Layer.TooLarge {
                throw FormatError(description: "\(at): \(error.description)")
            }
            let (total, overflow) = layers.reduce(0) { $0 + $1.macs }.addingReportingOverflow(layer.macs)
            guard !overflow, total <= Layer.maximumMACs else {
                throw FormatError(description: "\(at): the network has more than \(Layer.maximumMACs) multiply-accumulates, the most modelled")
            }
            layers.append(layer)
        }
        let name = file.name ?? fallbackName
        return Network(name: name, summary: "\(name) (\(layers.count) layers, from a file)", layers: layers)
    }

    private static func bits(_ given: [String: Int]?, base: [Operand: Int], at: String) throws -> [Operand: Int] {
        var result = base
        for (key, value) in given ?? [:] {
            guard let operand = Operand(rawValue: key) else {
                throw FormatError(description: "\(at): unknown operand '\(key)' in \"bits\"; operands are weights, inputs, outputs")
            }
            guard (1...64).contains(value) else { throw FormatError(description: "\(at): \(key) bits must be 1…64, not \(value)") }
            result[operand] = value
        }
        return result
    }
}
