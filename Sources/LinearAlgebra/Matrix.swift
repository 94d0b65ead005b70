import CBLAS

/// A dense matrix of doubles stored column by column (the layout BLAS and LAPACK use).
public struct Matrix: Hashable, Sendable, CustomStringConvertible {
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int
    /// The entries, column after column: entry (i, j) is at `i + j·rows`.
    public var storage: [Double]

    /// A rows × columns matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "a matrix cannot have negative dimensions")
        self.rows = rows
        self.columns = columns
        storage = [Double](repeating: value, count: rows * columns)
    }

    /// A matrix from its rows, as written on paper: `Matrix([[1, 2], [3, 4]])`.
    public init(_ rowValues: [[Double]]) {
        let rows = rowValues.count
        let columns = rowValues.first?.count ?? 0
        precondition(rowValues.allSatisfy { $0.count == columns }, "every row needs the same number of entries")
        self.init(rows: rows, columns: columns)
        for i in 0..<rows { for j in 0..<columns { self[i, j] = rowValues[i][j] } }
    }

    /// A column vector.
    public init(column: [Double]) {
        rows = column.count
        columns = 1
        storage = column
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> Matrix {
        var matrix = Matrix(rows: n, columns: n)
        for i in 0..<n { matrix[i, i] = 1 }
        return matrix
    }

    /// Entry (row, column).
    public subscript(row: Int, column: Int) -> Double {
        get { storage[row + column * rows] }
        set { storage[row + column * rows] = newValue }
    }

    /// The transpose.
    public var transposed: Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { result[j, i] = self[i, j] } }
        return result
    }

    /// The rows as arrays, for printing and tests.
    public var rowValues: [[Double]] { (0..<rows).map { i in (0..<columns).map { j in self[i, j] } } }

    /// The rows, bracketed.
    public var description: String { rowValues.map { "\($0)" }.joined(separator: "\n") }
}

/// The one place OpenBLAS's thread count is set: one thread unless `OPENBLAS_NUM_THREADS` says otherwise,
/// since the small dense problems here run faster without threads.
enum BLASThreads {
    static let configured: Void = {
        if getenv("OPENBLAS_NUM_THREADS") == nil { openblas_set_num_threads(1) }
    }()
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
