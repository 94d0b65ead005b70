import CBLAS

/// A floating-point type BLAS multiplies in: `Float` through `sgemm`, `Double` through `dgemm`.
///
/// Code generic over it runs in single precision where speed matters (a network's training) and in double
/// precision where accuracy does (checking its gradients against finite differences).
public protocol BLASScalar: BinaryFloatingPoint, Codable, Sendable {
    /// C ← α·op(A)·op(B) + β·C over column-major buffers, op transposing when asked: op(A) is m × k,
    /// op(B) is k × n, C is m × n; `lda`, `ldb` and `ldc` are the buffers' leading dimensions.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int, beta: Self,
                     c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: BLASScalar {
    /// C ← α·op(A)·op(B) + β·C through `cblas_sgemm`.
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = BLASThreads.configured
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: BLASScalar {
    /// C ← α·op(A)·op(B) + β·C through `cblas_dgemm`.
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double,
                            c: UnsafeMutablePointer<Double>, ldc: Int) {
        _ = BLASThreads.configured
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
