import Foundation
import Testing
@testable import Accelerator

@Suite struct WorkloadTests {
    @Test func macCountsOfSingleLayersByHand() throws {
        let resNet = Network.resNet18
        func layer(_ name: String, in network: Network = Network.resNet18) throws -> Layer {
            try #require(network.layers.first { $0.name == name })
        }
        // conv1: 64 filters of 3×7×7 over a 112×112 output: 64·3·112·112·7·7.
        #expect(try layer("conv1").macs == 118_013_952)
        // conv2_1: 64·64·56·56·3·3.
        #expect(try layer("conv2_1").macs == 115_605_504)
        // conv3_1 halves the size: 128·64·28·28·3·3 = 57,802,752; its 1×1 shortcut 128·64·28·28 = 6,422,528.
        #expect(try layer("conv3_1").macs == 57_802_752)
        #expect(try layer("conv3_shortcut").macs == 6_422_528)
        #expect(try layer("fc").macs == 512_000)
        #expect(resNet.layers.count == 1 + 4 * 4 + 3 + 1)
        // MobileNetV2's first depthwise layer: 32 groups of one 3×3 filter over 112×112: 32·112·112·9.
        let depthwise = try layer("block1_1_depthwise", in: .mobileNetV2)
        #expect(depthwise[.g] == 32 && depthwise[.k] == 1 && depthwise[.c] == 1)
        #expect(depthwise.macs == 3_612_672)
        #expect(depthwise.elements(of: .weights) == 32 * 9)
        // BERT's attention scores: 12 heads of a 128×64 by 64×128 product: 12·128·128·64.
        #expect(try layer("scores", in: .bertBaseEncoder).macs == 12_582_912)
        // AlexNet conv1: ⌊(224 + 2·2 − 11)/4⌋ + 1 = 55; 64·3·55·55·11·11.
        let alexConv1 = try layer("conv1", in: .alexNet)
        #expect(alexConv1[.oy] == 55 && alexConv1.macs == 70_276_800)
    }

    @Test func networkTotalsMatchPublishedFigures() {
        // Exact sums of the layer shapes, and the published totals they round to.
        let expected: [(Network, Int, Double)] = [
            (.alexNet, 714_188_480, 0.71e9),          // torchvision: 0.71 GFLOPs (multiply-adds)
            (.vgg16, 15_470_264_320, 15.5e9),         // Simonyan & Zisserman: 15.5 G
            (.resNet18, 1_814_073_344, 1.8e9),        // He et al.: 1.8 G
            (.resNet50, 4_089_184_256, 4.1e9),        // He et al.: 3.8 G for v1; torchvision v1.5 4.1 G
            (.mobileNetV2, 300_774_272, 0.3e9),       // Sandler et al.: 300 M
            (.bertBaseEncoder, 931_135_488, 0.93e9),  // 4·128·768² + 2·12·128²·64 + 2·128·768·3072
        ]
        for (network, exact, published) in expected {
            #expect(network.macs == exact, "\(network.name)")
            #expect(abs(Double(network.macs) - published) / published < 0.02, "\(network.name)")
        }
        #expect(Set(Network.bundled.map(\.name)).count == Network.bundled.count)
    }

    @Test func tilesAndTensorSizes() {
        // A 3×3 stride-2 convolution of a 9×9 input with padding 1: output ⌊(9 + 2 − 3)/2⌋ + 1 = 5.
        let layer = Layer.convolution("c", 4, 8, size: 9, kernel: 3, stride: 2)
        #expect(layer[.oy] == 5 && layer.inputWindowY == 11)
        // Stored input excludes the padding: 4 channels of 9×9.
        #expect(layer.elements(of: .inputs) == 4 * 81)
        #expect(layer.elements(of: .weights) == 8 * 4 * 9 && layer.elements(of: .outputs) == 8 * 25)
        // A tile of 2 output rows × 1 column and full filter spans (2 − 1)·2 + 3 = 5 rows and 3 columns.
        var tile = [Int](repeating: 1, count: LoopDimension.allCases.count)
        tile[LoopDimension.oy.index] = 2
        tile[LoopDimension.fy.index] = 3
        tile[LoopDimension.fx.index] = 3
        #expect(layer.tileElements(of: .inputs, tile: tile) == 5 * 3)
        #expect(layer.tileElements(of: .outputs, tile: tile) == 2)
        #expect(layer.tileElements(of: .weights, tile: tile) == 9)
        // Relevance: weights ignore B, OY, OX; outputs are reduced over C, FY, FX; inputs ignore K.
        #expect(!Operand.weights.isIndexed(by: .ox) && !Operand.inputs.isIndexed(by: .k) && !Operand.outputs.isIndexed(by: .c))
        #expect(Operand.outputs.isReduced(by: .fy) && !Operand.weights.isReduced(by: .c))
    }
}

@Suite struct NetworkFileTests {
    @Test func aUserNetworkFileDescribesEveryLayerKind() throws {
        let json = """
            {"name": "tiny", "bits": {"weights": 8, "inputs": 8},
             "layers": [
               {"type": "conv", "name": "c1", "in_channels": 3, "out_channels": 16, "input": [32, 24], "kernel": 3, "stride": 2},
               {"type": "conv", "name": "dw", "in_channels": 16, "out_channels": 16, "input": 16, "kernel": [3, 1], "groups": 16, "padding": [1, 0]},
               {"type": "fc", "inputs": 256, "outputs": 10, "bits": {"outputs": 32}},
               {"type": "gemm", "name": "qk", "m": 4, "n": 4, "k": 2, "groups": 3},
               {"type": "loops", "name": "raw", "bounds": {"K": 2, "c": 3, "OX": 5}}
             ]}
            """
        let network = try NetworkFile.parse(Data(json.utf8), fallbackName: "ignored")
        #expect(network.name == "tiny" && network.layers.count == 5)
        let c1 = network.layers[0]
        // Output ⌊(32 + 2 − 3)/2⌋ + 1 = 16 rows, ⌊(24 + 2 − 3)/2⌋ + 1 = 12 columns; 16·3·16·12·9 MACs.
        #expect(c1[.oy] == 16 && c1[.ox] == 12 && c1.macs == 82_944)
        #expect(c1.bits == [.weights: 8, .inputs: 8, .outputs: 16])
        // Depthwise 3×1 with padding [1, 0] on 16×16: (16 + 2 − 3) + 1 = 16 rows, (16 − 1) + 1 = 16
        // columns; 16 groups · 16 · 16 · 3 MACs.
        let dw = network.layers[1]
        #expect(dw[.g] == 16 && dw[.k] == 1 && dw[.oy] == 16 && dw[.ox] == 16 && dw.macs == 16 * 16 * 16 * 3)
        #expect(network.layers[2].name == "layer3" && network.layers[2].macs == 2_560 && network.layers[2].bits[.outputs] == 32)
        #expect(network.layers[3].macs == 3 * 4 * 4 * 2)
        #expect(network.layers[4].macs == 30 && network.layers[4][.fy] == 1)
    }

    /// The error a network file with these layers gets, or "accepted".
    func error(_ layers: String) -> String {
        do {
            _ = try NetworkFile.parse(Data("{\"layers\": [\(layers)]}".utf8), fallbackName: "n")
            return "accepted"
        } catch {
            return String(describing: error)
        }
    }

    @Test func badLayersAreNamedWithWhatIsAllowed() {
        #expect(error(#"{"type": "pool"}"#) == "layer 1 (layer1): unknown type 'pool'; types are conv, fc, gemm, loops")
        #expect(error(#"{"type": "fc", "inputs": 4}"#) == #"layer 1 (layer1): a fc layer needs "outputs""#)
        #expect(error(#"{"type": "gemm", "m": 0, "n": 1, "k": 1}"#) == #"layer 1 (layer1): "m" must be at least 1, not 0"#)
        #expect(error(#"{"type": "loops", "bounds": {"Q": 2}}"#).contains("unknown loop 'Q'; loops are G, B, K, C, OY, OX, FY, FX"))
        #expect(error(#"{"type": "conv", "in_channels": 3, "out_channels": 4, "input": 2, "kernel": 5, "padding": 0}"#)
            .contains("a 5×5 kernel does not fit the 2×2 input"))
        #expect(error(#"{"type": "conv", "in_channels": 3, "out_channels": 4, "input": 8, "kernel": 3, "groups": 2}"#)
            .contains("2 groups must divide in_channels 3"))
        #expect(error(#"{"type": "fc", "inputs": 4, "outputs": 4, "bits": {"psums": 8}}"#).contains("unknown operand 'psums'"))
        #expect(error("").contains("the network has no layers"))
    }

    @Test func layersTooLargeForSixtyFourBitCountsAreRefused() {
        // 10^7 × 10^7 × 10^7 = 10^21 multiply-accumulates: more than 2^63, once an overflow trap in `macs`.
        #expect(error(#"{"type": "gemm", "m": 10000000, "n": 10000000, "k": 10000000}"#)
            .contains("multiply to more than 1125899906842624 multiply-accumulates"))
        #expect(error(#"{"type": "gemm", "m": 9223372036854775807, "n": 1, "k": 1}"#).contains("the largest size modelled is 2147483648"))
        #expect(error(#"{"type": "conv", "in_channels": 3, "out_channels": 4, "input": 9223372036854775807, "kernel": 3}"#)
            .contains("the largest size modelled is 2147483648"))
        // Each layer fits, the network does not: 2^25 × 2^25 × 1 is 2^50 MACs, twice over.
        let half = #"{"type": "gemm", "m": 33554432, "n": 33554432, "k": 1}"#
        #expect(error(half) == "accepted")
        #expect(error("\(half), \(half)").contains("the network has more than 1125899906842624 multiply-accumulates"))
    }
}
