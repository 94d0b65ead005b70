import CBLAS

/// Why a factorisation failed.
public enum LinearAlgebraError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The matrix is not symmetric positive definite: its leading minor of this order is not positive.
    case notPositiveDefinite(order: Int)
    /// The matrix is not square.
    case notSquare(rows: Int, columns: Int)

    /// A sentence saying what failed.
    public var description: String {
        switch self {
        case .notPositiveDefinite(let order):
            return "the matrix is not positive definite (its leading minor of order \(order) is not positive); add jitter to the diagonal"
        case .notSquare(let rows, let columns):
            return "a Cholesky factorisation needs a square matrix, not \(rows)×\(columns)"
        }
    }
}

/// The Cholesky factorisation A = L·Lᵀ of a symmetric positive-definite matrix (LAPACK `dpotrf`).
public struct Cholesky: Sendable {
    /// The lower-triangular factor L (entries above the diagonal are zero).
    public let lower: Matrix

    /// Factorises `matrix` (only its lower triangle is read).
    public init(_ matrix: Matrix) throws {
        _ = BLASThreads.configured
        guard matrix.rows == matrix.columns else { throw LinearAlgebraError.notSquare(rows: matrix.rows, columns: matrix.columns) }
        var factor = matrix
        let n = matrix.rows
        let info = factor.storage.withUnsafeMutableBufferPointer { a in
            LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a.baseAddress, Int32(max(n, 1)))
        }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: Int(info)) }
        precondition(info == 0, "dpotrf rejected argument \(-info)")
        for j in 0..<n { for i in 0..<j { factor[i, j] = 0 } }
        lower = factor
    }

    /// The solution X of A·X = B (LAPACK `dpotrs`).
    public func solve(_ b: Matrix) -> Matrix {
        precondition(b.rows == lower.rows, "the right-hand side needs \(lower.rows) rows, not \(b.rows)")
        var x = b
        guard b.columns > 0, lower.rows > 0 else { return x }
        let n = lower.rows
        let info = lower.storage.withUnsafeBufferPointer { l in
            x.storage.withUnsafeMutableBufferPointer { x2 in
                LAPACKE_dpotrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(b.columns), l.baseAddress,
                               Int32(n), x2.baseAddress, Int32(n))
            }
        }
        precondition(info == 0, "dpotrs rejected argument \(-info)")
        return x
    }

    /// The solution x of A·x = b.
    public func solve(_ b: [Double]) -> [Double] { solve(Matrix(column: b)).storage }

    /// The solution y of L·y = b (forward substitution, BLAS `dtrsv`).
    public func solveLower(_ b: [Double]) -> [Double] {
        precondition(b.count == lower.rows, "the right-hand side needs \(lower.rows) entries, not \(b.count)")
        var y = b
        guard !b.isEmpty else { return y }
        lower.storage.withUnsafeBufferPointer { l in
            y.withUnsafeMutableBufferPointer { y2 in
                cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, Int32(lower.rows), l.baseAddress,
                            Int32(lower.rows), y2.baseAddress, 1)
            }
        }
        return y
    }

    /// The solution Y of L·Y = B for many right-hand sides at once (BLAS `dtrsm`).
    public func solveLower(_ b: Matrix) -> Matrix {
        precondition(b.rows == lower.rows, "the right-hand side needs \(lower.rows) rows, not \(b.rows)")
        var y = b
        guard b.columns > 0, lower.rows > 0 else { return y }
        lower.storage.withUnsafeBufferPointer { l in
            y.storage.withUnsafeMutableBufferPointer { y2 in
                cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(lower.rows), Int32(b.columns),
                            1, l.baseAddress, Int32(lower.rows), y2.baseAddress, Int32(lower.rows))
            }
        }
        return y
    }

    /// A⁻¹, from the factor (LAPACK `dpotri`), symmetric.
    public var inverse: Matrix {
        var result = lower
        let n = lower.rows
        guard n > 0 else { return result }
        let info = result.storage.withUnsafeMutableBufferPointer { a in
            LAPACKE_dpotri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a.baseAddress, Int32(n))
        }
        precondition(info == 0, "dpotri failed with \(info)")
        for j in 0..<n { for i in 0..<j { result[i, j] = result[j, i] } }
        return result
    }

    /// log det A = 2 Σ log L_ii.
    public var logDeterminant: Double {
        (0..<lower.rows).reduce(0) { $0 + 2 * log(lower[$1, $1]) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
