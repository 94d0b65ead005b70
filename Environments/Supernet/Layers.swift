import LinearAlgebra

/// The supernet's element-wise and data-movement layers over channels × (image, row, column) matrices,
/// column-major: the value of channel c at pixel (image, y, x) of a side × side image is at
/// `((image·side + y)·side + x)·channels + c`.
enum Layers {
    /// Visits every pair of im2col: the offset of a channel run in the column matrix and the offset of the
    /// same channels in the input (positions outside the image, the zero padding, are skipped).
    @inline(__always)
    private static func forEachPatchEntry(channels: Int, images: Int, side: Int, kernel: Int, _ body: (_ column: Int, _ input: Int) -> Void) {
        let pad = kernel / 2
        let rows = channels * kernel * kernel
        for image in 0..<images {
            for y in 0..<side {
                for x in 0..<side {
                    let column = (image * side + y) * side + x
                    for ky in 0..<kernel {
                        let sy = y + ky - pad
                        guard sy >= 0, sy < side else { continue }
                        for kx in 0..<kernel {
                            let sx = x + kx - pad
                            guard sx >= 0, sx < side else { continue }
                            body(column * rows + channels * (kx + kernel * ky), ((image * side + sy) * side + sx) * channels)
                        }
                    }
                }
            }
        }
    }

    /// im2col: the (channels·k²) × (images·side²) matrix of every pixel's k × k neighbourhood, zero padded
    /// by k/2; row index = channel + channels·(kx + k·ky).
    static func columns<Scalar: BLASScalar>(_ input: [Scalar], channels: Int, images: Int, side: Int, kernel: Int, workspace: Workspace<Scalar>) -> [Scalar] {
        var result = workspace.zeros(channels * kernel * kernel * images * side * side)
        input.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                let source = source.baseAddress!, target = target.baseAddress!
                forEachPatchEntry(channels: channels, images: images, side: side, kernel: kernel) { column, input in
                    (target + column).update(from: source + input, count: channels)
                }
            }
        }
        return result
    }

    /// The adjoint of `columns`: sums column gradients back onto the input.
    static func uncolumns<Scalar: BLASScalar>(_ gradient: [Scalar], channels: Int, images: Int, side: Int, kernel: Int, workspace: Workspace<Scalar>) -> [Scalar] {
        var result = workspace.zeros(channels * images * side * side)
        gradient.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                forEachPatchEntry(channels: channels, images: images, side: side, kernel: kernel) { column, input in
                    for channel in 0..<channels { target[input + channel] += source[column + channel] }
                }
            }
        }
        return result
    }

    /// Adds each row's bias and applies the ReLU, in place.
    static func biasReLU<Scalar: BLASScalar>(_ matrix: inout [Scalar], rows: Int, bias: ArraySlice<Scalar>) {
        matrix.withUnsafeMutableBufferPointer { storage in
            bias.withUnsafeBufferPointer { bias in
                for base in stride(from: 0, to: storage.count, by: rows) {
                    for row in 0..<rows {
                        let value = storage[base + row] + bias[row]
                        storage[base + row] = value > 0 ? value : 0
                    }
                }
            }
        }
    }

    /// Zeroes the gradient where the ReLU's output was not positive, and adds each row's sum (in column
    /// order) to the bias gradient at `bias`.
    static func throughReLU<Scalar: BLASScalar>(_ gradient: inout [Scalar], output: [Scalar], rows: Int,
                                                biasGradient: UnsafeMutablePointer<Scalar>) {
        output.withUnsafeBufferPointer { output in
            gradient.withUnsafeMutableBufferPointer { gradient in
                for base in stride(from: 0, to: gradient.count, by: rows) {
                    for row in 0..<rows {
                        if output[base + row] <= 0 { gradient[base + row] = 0 }
                        biasGradient[row] += gradient[base + row]
                    }
                }
            }
        }
    }

    /// `target` += `addend`, entry by entry.
    static func add<Scalar: BLASScalar>(_ addend: [Scalar], to target: inout [Scalar]) {
        addend.withUnsafeBufferPointer { addend in
            target.withUnsafeMutableBufferPointer { target in
                for index in 0..<target.count { target[index] += addend[index] }
            }
        }
    }

    /// Visits every pair of 2×2 pooling: the offset of a channel run in the pooled matrix and of one of
    /// its four sources (an odd side drops its last row and column).
    @inline(__always)
    private static func forEachPoolEntry(channels: Int, images: Int, side: Int, _ body: (_ pooled: Int, _ source: Int) -> Void) {
        let half = side / 2
        for image in 0..<images {
            for y in 0..<half {
                for x in 0..<half {
                    let pooled = ((image * half + y) * half + x) * channels
                    for dy in 0..<2 {
                        for dx in 0..<2 { body(pooled, ((image * side + 2 * y + dy) * side + 2 * x + dx) * channels) }
                    }
                }
            }
        }
    }

    /// 2×2 average pooling.
    static func pool<Scalar: BLASScalar>(_ input: [Scalar], channels: Int, images: Int, side: Int, workspace: Workspace<Scalar>) -> [Scalar] {
        var result = workspace.zeros(channels * images * (side / 2) * (side / 2))
        input.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                forEachPoolEntry(channels: channels, images: images, side: side) { pooled, from in
                    for channel in 0..<channels { target[pooled + channel] += 0.25 * source[from + channel] }
                }
            }
        }
        return result
    }

    /// The adjoint of `pool`.
    static func unpool<Scalar: BLASScalar>(_ gradient: [Scalar], channels: Int, images: Int, side: Int, workspace: Workspace<Scalar>) -> [Scalar] {
        var result = workspace.zeros(channels * images * side * side)
        gradient.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                forEachPoolEntry(channels: channels, images: images, side: side) { pooled, to in
                    for channel in 0..<channels { target[to + channel] += 0.25 * source[pooled + channel] }
                }
            }
        }
        return result
    }

    /// Global max pooling: each image's largest value per channel (channels × images), and where it is (the
    /// first such pixel, as an offset into `input`).
    static func globalMaximum<Scalar: BLASScalar>(_ input: [Scalar], channels: Int, images: Int, pixels: Int, workspace: Workspace<Scalar>) -> (values: [Scalar], offsets: [Int32]) {
        var values = workspace.zeros(channels * images)
        var offsets = [Int32](repeating: 0, count: channels * images)
        input.withUnsafeBufferPointer { input in
            for image in 0..<images {
                for channel in 0..<channels {
                    var best = image * pixels * channels + channel
                    for pixel in 1..<max(1, pixels) {
                        let offset = (image * pixels + pixel) * channels + channel
                        if input[offset] > input[best] { best = offset }
                    }
                    values[channel + channels * image] = input[best]
                    offsets[channel + channels * image] = Int32(best)
                }
            }
        }
        return (values, offsets)
    }
}
