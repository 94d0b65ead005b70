import Foundation
import Testing

/// Every command's `--help` as a user's 80-column terminal shows it: prose wrapped by the renderer (never
/// broken mid-sentence by the source), no stray backslash, one "Examples:" block at most.
@Suite struct HelpTextTests {
    /// The subcommand paths under `path`, read from its help's SUBCOMMANDS section.
    static func subcommands(of path: [String]) throws -> [[String]] {
        let help = try GymProcess.run(["help"] + path).output
        guard let section = help.range(of: "SUBCOMMANDS:") else { return [] }
        let names = help[section.upperBound...].split(separator: "\n").compactMap { line -> String? in
            // A subcommand's row starts two spaces in; its wrapped summary sits further right.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return String(name)
        }.filter { $0 != "See" && $0 != "help" }
        return try names.flatMap { name in [path + [name]] + (try subcommands(of: path + [name])) }
    }

    /// What is wrong with one help text's prose (the part above USAGE), or nothing.
    /// The renderer wraps prose so that lines hold at most 79 characters of an 80-column terminal.
    static func problems(_ help: String, width: Int = 79) -> [String] {
        let prose = help.components(separatedBy: "\nUSAGE:").first ?? help
        let lines = prose.components(separatedBy: "\n")
        var found: [String] = []
        // A backslash may end an example line continued below (a shell continuation), never prose.
        for line in lines where line.hasSuffix("\\") && !line.hasPrefix(" ") { found.append("a stray backslash ends “\(line)”") }
        let exampleHeadings = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Example:") || $0.trimmingCharacters(in: .whitespaces).hasPrefix("Examples:") }
        if exampleHeadings.count > 1 { found.append("\(exampleHeadings.count) example headings: \(exampleHeadings)") }
        for (line, next) in zip(lines, lines.dropFirst()) {
            // An example too long for the terminal: its tail wraps back to the margin.
            if line.hasPrefix(" "), !next.isEmpty, !next.hasPrefix(" "), let first = next.first, first.isLowercase || first == "-" {
                found.append("an example wider than the terminal wraps: “\(line)” / “\(next)”")
            }
            // Prose lines start at the margin; examples and tables are indented.
            guard !line.isEmpty, !line.hasPrefix(" "), !next.isEmpty, !next.hasPrefix(" "),
                  let last = line.last, !".:;!?".contains(last) else { continue }
            let firstWord = next.split(separator: " ").first.map(String.init) ?? next
            if line.count + 1 + firstWord.count <= width {
                found.append("broken mid-sentence: “\(line)” / “\(next)”")
            }
        }
        return found
    }

    @Test func theRuleCatchesWhatItShould() {
        #expect(Self.problems("A short line that stops\nmid-sentence.\nUSAGE: x").count == 1)
        #expect(Self.problems("A sentence with a stray \\\nbackslash.\nUSAGE: x").count == 2)
        #expect(Self.problems("Examples:\n  a\nExamples:\n  b\nUSAGE: x").count == 1)
        #expect(Self.problems("Examples:\n  gym run --env A\n--budget 3\nUSAGE: x").count == 1)
        let wrapped = String(repeating: "word ", count: 15) + "wrapped\nhere."
        #expect(Self.problems(wrapped + "\nUSAGE: x").isEmpty)
    }

    @Test func everyCommandsHelpRendersCleanly() throws {
        let paths = try [[]] + Self.subcommands(of: [])
        #expect(paths.count > 15, "\(paths)")
        var failures: [String] = []
        for path in paths {
            let help = try GymProcess.run(["help"] + path)
            #expect(help.status == 0, "gym help \(path.joined(separator: " ")): \(help.error)")
            failures += Self.problems(help.output).map { "gym \(path.joined(separator: " ")) --help: \($0)" }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
