/// One way an environment or agent breaks the DesignGym contract.
public struct ConformanceIssue: Hashable, Sendable, CustomStringConvertible {
    /// The environment or agent id.
    public var subject: String
    /// The rule broken, in a few words.
    public var check: String
    /// What was seen.
    public var message: String

    /// Creates an issue.
    public init(subject: String, check: String, message: String) {
        self.subject = subject
        self.check = check
        self.message = message
    }

    /// "subject: check — message".
    public var description: String { "\(subject): \(check) — \(message)" }
}

/// Collects issues for one subject.
struct IssueList {
    let subject: String
    var issues: [ConformanceIssue] = []

    mutating func fail(_ check: String, _ message: String) {
        issues.append(ConformanceIssue(subject: subject, check: check, message: message))
    }

    mutating func expect(_ condition: Bool, _ check: String, _ message: @autoclosure () -> String) {
        if !condition { fail(check, message()) }
    }
}
