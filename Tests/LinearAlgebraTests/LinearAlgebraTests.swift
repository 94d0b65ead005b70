import Foundation
import Testing
@testable import LinearAlgebra

@Suite struct LinearAlgebraTests {
    @Test func storageIsColumnMajor() {
        let matrix = Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(matrix.storage == [1, 4, 2, 5, 3, 6])
        #expect(matrix.transposed.rowValues == [[1, 4], [2, 5], [3, 6]])
    }

    @Test func productsMatchHandArithmetic() {
        // [1 2; 3 4]·[5 6; 7 8] = [1·5+2·7, 1·6+2·8; 3·5+4·7, 3·6+4·8] = [19 22; 43 50].
        let a = Matrix([[1, 2], [3, 4]])
        let b = Matrix([[5, 6], [7, 8]])
        #expect((a * b).rowValues == [[19, 22], [43, 50]])
        // Aᵀ·B = [1 3; 2 4]·[5 6; 7 8] = [26 30; 38 44].
        #expect(Matrix.product(a, b, transposeA: true).rowValues == [[26, 30], [38, 44]])
        // A·Bᵀ = [1 2; 3 4]·[5 7; 6 8] = [17 23; 39 53].
        #expect(Matrix.product(a, b, transposeB: true).rowValues == [[17, 23], [39, 53]])
        // A (2×3) · x (3) = [1·1 + 2·0 + 3·(−1), 4·1 + 5·0 + 6·(−1)] = [−2, −2].
        #expect(Matrix([[1, 2, 3], [4, 5, 6]]) * [1, 0, -1] == [-2, -2])
        #expect(dot([1, 2, 3], [4, 5, 6]) == 32)
        #expect((Matrix.identity(3) * Matrix([[1, 2], [3, 4], [5, 6]])).rowValues == [[1, 2], [3, 4], [5, 6]])
    }

    @Test func choleskyOfATwoByTwoByHand() throws {
        // [4 2; 2 3] = L·Lᵀ with L = [2 0; 1 √2]: 2·2 = 4, 1·2 = 2, 1·1 + √2·√2 = 3.
        let factor = try Cholesky(Matrix([[4, 2], [2, 3]]))
        #expect(abs(factor.lower[0, 0] - 2) < 1e-15)
        #expect(abs(factor.lower[1, 0] - 1) < 1e-15)
        #expect(abs(factor.lower[1, 1] - 2.0.squareRoot()) < 1e-15)
        #expect(factor.lower[0, 1] == 0)
        // det = 4·3 − 2·2 = 8.
        #expect(abs(factor.logDeterminant - log(8)) < 1e-14)
        // [4 2; 2 3]·x = [2, 1] → x = [0.5, 0]: 4·0.5 + 2·0 = 2, 2·0.5 + 3·0 = 1.
        let x = factor.solve([2, 1])
        #expect(abs(x[0] - 0.5) < 1e-15 && abs(x[1]) < 1e-15)
        // L·y = [2, 1] → y = [1, 0]: 2·1 = 2, 1·1 + √2·0 = 1.
        let y = factor.solveLower([2, 1])
        #expect(abs(y[0] - 1) < 1e-15 && abs(y[1]) < 1e-15)
    }

    @Test func inverseAndManyRightHandSidesByHand() throws {
        // [4 2; 2 3]⁻¹ = (1/8)·[3 −2; −2 4].
        let factor = try Cholesky(Matrix([[4, 2], [2, 3]]))
        let inverse = factor.inverse
        for (value, expected) in zip(inverse.storage, [3.0 / 8, -2.0 / 8, -2.0 / 8, 4.0 / 8]) { #expect(abs(value - expected) < 1e-15) }
        // L·Y = [2 4; 1 2]: columns solve independently → [1 2; 0 0].
        let y = factor.solveLower(Matrix([[2, 4], [1, 2]]))
        for (value, expected) in zip(y.storage, [1.0, 0, 2, 0]) { #expect(abs(value - expected) < 1e-15) }
    }

    @Test func choleskySolvesLargerSystemsToRoundOff() throws {
        // A = Bᵀ·B + n·I is positive definite; check A·(A⁻¹·b) = b.
        let n = 30
        var b = Matrix(rows: n, columns: n)
        for i in 0..<n { for j in 0..<n { b[i, j] = sin(Double(i * n + j)) } }
        let a = Matrix.product(b, b, transposeA: true) + Matrix(rows: n, columns: n).addingDiagonal(Double(n))
        let rhs = (0..<n).map { cos(Double($0)) }
        let solution = try Cholesky(a).solve(rhs)
        let back = a * solution
        for (value, expected) in zip(back, rhs) { #expect(abs(value - expected) < 1e-12) }
    }

    @Test func nonPositiveDefiniteInputIsATypedError() {
        // [1 2; 2 1] has eigenvalues 3 and −1; the second leading minor 1·1 − 2·2 = −3 is negative.
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2)) { try Cholesky(Matrix([[1, 2], [2, 1]])) }
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 1)) { try Cholesky(Matrix([[-1, 0], [0, 1]])) }
        #expect(throws: LinearAlgebraError.notSquare(rows: 2, columns: 3)) { try Cholesky(Matrix(rows: 2, columns: 3)) }
    }
}

extension Matrix {
    func addingDiagonal(_ value: Double) -> Matrix {
        var copy = self
        for i in 0..<Swift.min(rows, columns) { copy[i, i] += value }
        return copy
    }
}
