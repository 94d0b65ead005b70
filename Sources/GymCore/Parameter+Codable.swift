extension Parameter: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, type, choices, lower, upper, step, log, values, `default`, summary, unit
    }

    /// Reads `{"name", "type": "categorical"|"integer"|"real"|"ordinal", bounds or choices, "default", ...}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        summary = try container.decodeIfPresent(String.self, forKey: .summary) ?? ""
        unit = try container.decodeIfPresent(String.self, forKey: .unit)
        let type = try container.decode(String.self, forKey: .type)
        let logScale = try container.decodeIfPresent(Bool.self, forKey: .log) ?? false
        switch type {
        case "categorical":
            let choices = try container.decode([String].self, forKey: .choices)
            domain = .categorical(choices)
            defaultValue = try container.decodeIfPresent(ParameterValue.self, forKey: .default) ?? .string(choices.first ?? "")
        case "integer":
            let lower = try container.decode(Int.self, forKey: .lower)
            domain = .integer(lower: lower, upper: try container.decode(Int.self, forKey: .upper),
                              step: try container.decodeIfPresent(Int.self, forKey: .step) ?? 1, logScale: logScale)
            defaultValue = try container.decodeIfPresent(ParameterValue.self, forKey: .default) ?? .int(lower)
        case "real":
            let lower = try container.decode(Double.self, forKey: .lower)
            domain = .real(lower: lower, upper: try container.decode(Double.self, forKey: .upper), logScale: logScale)
            defaultValue = try container.decodeIfPresent(ParameterValue.self, forKey: .default) ?? .double(lower)
        case "ordinal":
            let values = try container.decode([Double].self, forKey: .values)
            domain = .ordinal(values)
            defaultValue = try container.decodeIfPresent(ParameterValue.self, forKey: .default) ?? .double(values.first ?? 0)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "parameter '\(name)': type '\(type)' is not one of categorical, integer, real, ordinal")
        }
        try check()
        defaultValue = try canonicalValue(defaultValue)
    }

    /// Writes the parameter in the form `init(from:)` reads.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        switch domain {
        case .categorical(let choices):
            try container.encode("categorical", forKey: .type)
            try container.encode(choices, forKey: .choices)
        case .integer(let lower, let upper, let step, let logScale):
            try container.encode("integer", forKey: .type)
            try container.encode(lower, forKey: .lower)
            try container.encode(upper, forKey: .upper)
            try container.encode(step, forKey: .step)
            try container.encode(logScale, forKey: .log)
        case .real(let lower, let upper, let logScale):
            try container.encode("real", forKey: .type)
            try container.encode(lower, forKey: .lower)
            try container.encode(upper, forKey: .upper)
            try container.encode(logScale, forKey: .log)
        case .ordinal(let values):
            try container.encode("ordinal", forKey: .type)
            try container.encode(values, forKey: .values)
        }
        try container.encode(defaultValue, forKey: .default)
        if !summary.isEmpty { try container.encode(summary, forKey: .summary) }
        try container.encodeIfPresent(unit, forKey: .unit)
    }
}
