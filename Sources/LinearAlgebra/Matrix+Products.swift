import CBLAS

extension Matrix {
    /// α·op(A)·op(B) through BLAS `dgemm`, where op transposes when asked.
    public static func product(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                               scale: Double = 1) -> Matrix {
        _ = BLASThreads.configured
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kB = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kB, "cannot multiply: inner dimensions \(k) and \(kB) differ")
        var result = Matrix(rows: m, columns: n)
        guard m > 0, n > 0, k > 0 else { return result }
        a.storage.withUnsafeBufferPointer { a2 in
            b.storage.withUnsafeBufferPointer { b2 in
                result.storage.withUnsafeMutableBufferPointer { c in
                    cblas_dgemm(CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), scale, a2.baseAddress, Int32(max(a.rows, 1)),
                                b2.baseAddress, Int32(max(b.rows, 1)), 0, c.baseAddress, Int32(max(m, 1)))
                }
            }
        }
        return result
    }

    /// The matrix product A·B.
    public static func * (a: Matrix, b: Matrix) -> Matrix { product(a, b) }

    /// The product A·x through BLAS `dgemv`.
    public static func * (a: Matrix, x: [Double]) -> [Double] {
        _ = BLASThreads.configured
        precondition(a.columns == x.count, "cannot multiply a \(a.rows)×\(a.columns) matrix by a vector of \(x.count)")
        var y = [Double](repeating: 0, count: a.rows)
        guard a.rows > 0, a.columns > 0 else { return y }
        a.storage.withUnsafeBufferPointer { a2 in
            x.withUnsafeBufferPointer { x2 in
                y.withUnsafeMutableBufferPointer { y2 in
                    cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(a.rows), Int32(a.columns), 1, a2.baseAddress,
                                Int32(a.rows), x2.baseAddress, 1, 0, y2.baseAddress, 1)
                }
            }
        }
        return y
    }

    /// Entry-wise sum.
    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "cannot add matrices of different shapes")
        var result = a
        for index in result.storage.indices { result.storage[index] += b.storage[index] }
        return result
    }
}

/// The dot product of two vectors through BLAS `ddot`.
public func dot(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "cannot take the dot product of vectors of \(x.count) and \(y.count)")
    return x.withUnsafeBufferPointer { x2 in
        y.withUnsafeBufferPointer { y2 in cblas_ddot(Int32(x.count), x2.baseAddress, 1, y2.baseAddress, 1) }
    }
}
