import Foundation

extension Objective {
    /// The grammar of the compact form, for help texts.
    public static let compactGrammar = """
        METRIC:min | METRIC:max          one metric (e.g. latency:min)
        target:M=T[,M=T...]              ArchGym target reward Π t/|x−t| (e.g. target:power=1,latency=0.1)
        cost:M=T[,M=T...]                −Σ max((x−t)/t, 0)
        inverse:M[*M...]                 1/x or 1/(x·y) (e.g. inverse:latency*energy)
        sum:M=W[,M=W...]                 Σ w·x
        product:M=E[,M=E...]             Π x^e
        cityblock:M<=B[,M>=B...]         −city-block distance to budgets (<= for metrics to minimise, >= to maximise)
        pareto:M:min,M:max[,...]         several goals at once
        ...;M<=B[;M>=B...]               limits: outside them the reward is that of a failure (e.g. l2:min;nfe<=10)
        {...}                            the JSON form
        """

    /// Reads the compact form (see `compactGrammar`) or, when the text starts with `{`, the JSON form.
    public static func parse(_ text: String) throws -> Objective {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("{") {
            do {
                return try JSONDecoder().decode(Objective.self, from: Data(trimmed.utf8))
            } catch {
                throw ObjectiveError.malformed(text, reason: "invalid JSON objective (\(error))")
            }
        }
        if trimmed.contains(";") {
            let parts = trimmed.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            var objective = try parse(parts[0])
            for part in parts.dropFirst() {
                objective.limits.append(try parseTerm(part, kind: .cityblock, text: text))
            }
            return objective
        }
        guard let colon = trimmed.firstIndex(of: ":") else {
            throw ObjectiveError.malformed(text, reason: "expected METRIC:min, METRIC:max or KIND:TERMS")
        }
        let head = String(trimmed[..<colon])
        let rest = String(trimmed[trimmed.index(after: colon)...])
        if rest == "min" || rest == "max" {
            return .metric(head, rest == "min" ? .minimize : .maximize)
        }
        guard let kind = Kind(rawValue: head), kind != .metric else {
            // "value:minimize": a metric and a goal word that is not min or max — the goal is at fault.
            if Kind(rawValue: head) == nil, !rest.isEmpty, rest.allSatisfy({ $0.isLetter || $0 == "_" }) {
                throw ObjectiveError.malformed(text, reason: "'\(rest)' is not a goal; write \(head):min or \(head):max")
            }
            throw ObjectiveError.malformed(
                text, reason: "'\(head)' is not a kind; use one of \(Kind.allCases.filter { $0 != .metric }.map(\.rawValue).joined(separator: ", ")), or METRIC:min|max")
        }
        let pieces = kind == .inverse
            ? rest.split(separator: "*").map(String.init) : rest.split(separator: ",").map(String.init)
        var terms: [Term] = []
        for piece in pieces.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            terms.append(try parseTerm(piece, kind: kind, text: text))
        }
        if terms.isEmpty { throw ObjectiveError.malformed(text, reason: "it names no metric") }
        return Objective(kind: kind, terms: terms)
    }

    private static func parseTerm(_ piece: String, kind: Kind, text: String) throws -> Term {
        switch kind {
        case .inverse:
            return Term(metric: piece)
        case .pareto:
            let parts = piece.split(separator: ":").map(String.init)
            guard parts.count == 2, let goal = ["min": Goal.minimize, "max": .maximize][parts[1]] else {
                throw ObjectiveError.malformed(text, reason: "'\(piece)' should be METRIC:min or METRIC:max")
            }
            return Term(metric: parts[0], goal: goal)
        case .cityblock:
            for (symbol, goal) in [("<=", Goal.minimize), (">=", .maximize)] {
                if let range = piece.range(of: symbol), let budget = Double(piece[range.upperBound...]) {
                    return Term(metric: String(piece[..<range.lowerBound]), value: budget, goal: goal)
                }
            }
            throw ObjectiveError.malformed(text, reason: "'\(piece)' should be METRIC<=BUDGET or METRIC>=BUDGET")
        default:
            let parts = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]) else {
                throw ObjectiveError.malformed(text, reason: "'\(piece)' should be METRIC=NUMBER")
            }
            return Term(metric: parts[0], value: value)
        }
    }

    /// The compact form of the objective (a failure reward is not part of it).
    public var description: String {
        formulaDescription + limits.map { ";\($0.metric)\($0.goal == .maximize ? ">=" : "<=")\(Parameter.numberText($0.value ?? 0))" }.joined()
    }

    private var formulaDescription: String {
        func number(_ value: Double?) -> String { Parameter.numberText(value ?? 0) }
        switch kind {
        case .metric:
            return "\(terms.first?.metric ?? ""):\(terms.first?.goal == .minimize ? "min" : "max")"
        case .inverse:
            return "inverse:" + terms.map(\.metric).joined(separator: "*")
        case .pareto:
            return "pareto:" + terms.map { "\($0.metric):\($0.goal == .minimize ? "min" : "max")" }.joined(separator: ",")
        case .cityblock:
            return "cityblock:" + terms.map { "\($0.metric)\($0.goal == .maximize ? ">=" : "<=")\(number($0.value))" }
                .joined(separator: ",")
        default:
            return "\(kind.rawValue):" + terms.map { "\($0.metric)=\(number($0.value))" }.joined(separator: ",")
        }
    }
}
