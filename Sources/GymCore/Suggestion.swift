/// "Did you mean …?" for names users mistype: the closest known name by edit distance.
public enum Suggestion {
    /// The known name closest to `name` (edit distance, ignoring case), if it is close enough to be
    /// a slip: at most a third of the name's length, and at most 3 edits.
    public static func closest(to name: String, among known: [String]) -> String? {
        let target = Array(name.lowercased())
        var best: (name: String, distance: Int)?
        for candidate in known {
            let distance = Self.distance(target, Array(candidate.lowercased()))
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= min(3, max(1, target.count / 3)) else { return nil }
        return best.name
    }

    /// " (did you mean 'x'?)" or "".
    public static func phrase(for name: String, among known: [String]) -> String {
        closest(to: name, among: known).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The edit distance with adjacent transpositions (optimal string alignment): insertions, deletions,
    /// substitutions and swaps of two neighbours that turn `a` into `b` ("nosie" is one swap from "noise").
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
