/// A network: its layers in order, each evaluated on the accelerator (pooling, activations and additions
/// carry no MACs and are not modelled).
public struct Network: Codable, Sendable, Equatable {
    public var name: String
    public var summary: String
    public var layers: [Layer]

    public init(name: String, summary: String, layers: [Layer]) {
        self.name = name
        self.summary = summary
        self.layers = layers
    }

    /// Multiply-accumulates over all layers.
    public var macs: Int { layers.reduce(0) { $0 + $1.macs } }
}

extension Network {
    /// The bundled networks, by workload name, with the layer shapes of their papers at 224×224 (BERT: one
    /// encoder layer at sequence length 128).
    public static let bundled: [Network] = [alexNet, vgg16, resNet18, resNet50, mobileNetV2, bertBaseEncoder]

    /// AlexNet as in torchvision (Krizhevsky et al. 2012, single tower: 64-192-384-256-256 channels).
    public static let alexNet = Network(name: "alexnet", summary: "AlexNet (torchvision), 224×224, 0.71 GMACs", layers: [
        .convolution("conv1", 3, 64, size: 224, kernel: 11, stride: 4, padding: 2),  // → 55, pooled to 27
        .convolution("conv2", 64, 192, size: 27, kernel: 5),  // → 27, pooled to 13
        .convolution("conv3", 192, 384, size: 13, kernel: 3),
        .convolution("conv4", 384, 256, size: 13, kernel: 3),
        .convolution("conv5", 256, 256, size: 13, kernel: 3),  // pooled to 6
        .fullyConnected("fc6", inputs: 256 * 6 * 6, outputs: 4096),
        .fullyConnected("fc7", inputs: 4096, outputs: 4096),
        .fullyConnected("fc8", inputs: 4096, outputs: 1000),
    ])

    /// VGG-16 (Simonyan & Zisserman 2015, configuration D).
    public static let vgg16: Network = {
        var layers: [Layer] = []
        var channels = 3
        for (stage, (width, count, size)) in [(64, 2, 224), (128, 2, 112), (256, 3, 56), (512, 3, 28), (512, 3, 14)].enumerated() {
            for index in 1...count {
                layers.append(.convolution("conv\(stage + 1)_\(index)", channels, width, size: size, kernel: 3))
                channels = width
            }
        }
        layers += [.fullyConnected("fc6", inputs: 512 * 7 * 7, outputs: 4096),
                   .fullyConnected("fc7", inputs: 4096, outputs: 4096),
                   .fullyConnected("fc8", inputs: 4096, outputs: 1000)]
        return Network(name: "vgg16", summary: "VGG-16, 224×224, 15.5 GMACs", layers: layers)
    }()

    /// ResNet-18 (He et al. 2016): basic blocks of two 3×3 convolutions, 2 per stage; a stage's first
    /// block halves the size with stride 2 and a 1×1 projection of the shortcut.
    public static let resNet18: Network = {
        var layers: [Layer] = [.convolution("conv1", 3, 64, size: 224, kernel: 7, stride: 2)]  // → 112, pooled to 56
        var channels = 64, size = 56
        for (stage, width) in [64, 128, 256, 512].enumerated() {
            let name = "conv\(stage + 2)"
            for block in 0..<2 {
                let stride = block == 0 && stage > 0 ? 2 : 1
                let output = size / stride
                layers.append(.convolution("\(name)_\(2 * block + 1)", channels, width, size: size, kernel: 3, stride: stride))
                layers.append(.convolution("\(name)_\(2 * block + 2)", width, width, size: output, kernel: 3))
                if stride == 2 { layers.append(.convolution("\(name)_shortcut", channels, width, size: size, kernel: 1, stride: 2)) }
                channels = width
                size = output
            }
        }
        layers.append(.fullyConnected("fc", inputs: 512, outputs: 1000))
        return Network(name: "resnet18", summary: "ResNet-18, 224×224, 1.8 GMACs", layers: layers)
    }()

    /// ResNet-50 (He et al. 2016) with torchvision's stride on the 3×3 convolution: bottlenecks of
    /// 1×1 → 3×3 → 1×1 (×4 channels), 3-4-6-3 blocks, a 1×1 projection of the shortcut in each stage's first block.
    public static let resNet50: Network = {
        var layers: [Layer] = [.convolution("conv1", 3, 64, size: 224, kernel: 7, stride: 2)]
        var channels = 64, size = 56
        for (stage, (width, blocks)) in [(64, 3), (128, 4), (256, 6), (512, 3)].enumerated() {
            for block in 0..<blocks {
                let stride = block == 0 && stage > 0 ? 2 : 1
                let output = size / stride
                let name = "conv\(stage + 2)_\(block + 1)"
                layers.append(.convolution("\(name)a", channels, width, size: size, kernel: 1))
                layers.append(.convolution("\(name)b", width, width, size: size, kernel: 3, stride: stride))
                layers.append(.convolution("\(name)c", width, 4 * width, size: output, kernel: 1))
                if block == 0 { layers.append(.convolution("\(name)_shortcut", channels, 4 * width, size: size, kernel: 1, stride: stride)) }
                channels = 4 * width
                size = output
            }
        }
        layers.append(.fullyConnected("fc", inputs: 2048, outputs: 1000))
        return Network(name: "resnet50", summary: "ResNet-50, 224×224, 4.1 GMACs", layers: layers)
    }()

    /// MobileNetV2 (Sandler et al. 2018, Table 2): inverted residuals of a 1×1 expansion (t×), a 3×3
    /// depthwise convolution and a 1×1 projection.
    public static let mobileNetV2: Network = {
        var layers: [Layer] = [.convolution("conv1", 3, 32, size: 224, kernel: 3, stride: 2)]
        var channels = 32, size = 112
        let table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        for (stage, (expansion, width, repeats, firstStride)) in table.enumerated() {
            for block in 0..<repeats {
                let stride = block == 0 ? firstStride : 1
                let hidden = channels * expansion
                let name = "block\(stage + 1)_\(block + 1)"
                if expansion != 1 { layers.append(.convolution("\(name)_expand", channels, hidden, size: size, kernel: 1)) }
                layers.append(.convolution("\(name)_depthwise", hidden, hidden, size: size, kernel: 3, stride: stride, groups: hidden))
                size = (size + 2 - 3) / stride + 1
                layers.append(.convolution("\(name)_project", hidden, width, size: size, kernel: 1))
                channels = width
            }
        }
        layers.append(.convolution("conv_last", 320, 1280, size: 7, kernel: 1))
        layers.append(.fullyConnected("fc", inputs: 1280, outputs: 1000))
        return Network(name: "mobilenetv2", summary: "MobileNetV2 (width 1.0), 224×224, 0.30 GMACs", layers: layers)
    }()

    /// One BERT-base encoder layer (Devlin et al. 2019: hidden 768, 12 heads of 64, feed-forward 3072)
    /// at sequence length 128, as its matrix products.
    public static let bertBaseEncoder = Network(name: "bert-base", summary: "BERT-base encoder layer, sequence 128, 0.93 GMACs", layers: [
        .gemm("query", m: 128, n: 768, k: 768),
        .gemm("key", m: 128, n: 768, k: 768),
        .gemm("value", m: 128, n: 768, k: 768),
        .gemm("scores", m: 128, n: 128, k: 64, groups: 12),  // Q·Kᵀ per head
        .gemm("context", m: 128, n: 64, k: 128, groups: 12),  // softmax(scores)·V per head
        .gemm("output", m: 128, n: 768, k: 768),
        .gemm("ffn_in", m: 128, n: 3072, k: 768),
        .gemm("ffn_out", m: 128, n: 768, k: 3072),
    ])
}
