import Foundation
import GymCore

/// Which files a server's clients may name: none, or those inside one folder its operator allowed
/// (`gym serve --allow-files DIR`). A client's path is taken relative to that folder, every symbolic link
/// and `..` resolved, and refused unless the result lies inside it; the environment then reads the
/// resolved path.
public struct FileAccess: Sendable, Equatable {
    /// The allowed folder, resolved; nil when clients may name no file.
    public let root: String?

    /// No files for clients.
    public static let none = FileAccess(resolvedRoot: nil)

    private init(resolvedRoot: String?) { root = resolvedRoot }

    /// Files inside `folder` (which must exist) for clients.
    public init(allowing folder: String) throws {
        guard let resolved = Self.realPath(folder) else {
            throw ProtocolError(.badRequest, "--allow-files \(folder): no such folder")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isFolder), isFolder.boolValue else {
            throw ProtocolError(.badRequest, "--allow-files \(folder) is not a folder")
        }
        root = resolved
    }

    /// The resolved path of the file a client named for `what` (an option or the workload), or
    /// `ProtocolError(.forbidden)` saying why it may not be read.
    public func resolve(_ path: String, for what: String) throws -> String {
        guard let root else {
            throw ProtocolError(.forbidden, "\(what) \"\(path)\" names a file, and this server gives its clients no files; its operator can allow a folder with --allow-files DIR",
                                details: ["field": .string(what)])
        }
        let candidate = path.hasPrefix("/") ? path : root + "/" + path
        guard let resolved = Self.realPath(candidate) else {
            throw ProtocolError(.forbidden, "\(what) \"\(path)\": no such file in the folder this server allows",
                                details: ["field": .string(what)])
        }
        guard resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw ProtocolError(.forbidden, "\(what) \"\(path)\" lies outside the folder this server allows its clients to read",
                                details: ["field": .string(what)])
        }
        return resolved
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension FileAccess {
    /// `options` as a client may give them for an environment with `spec`: plain values as they are, file
    /// values and file workloads resolved inside the allowed folder, host settings refused. `spec` is the
    /// environment's spec with default options, which lists its named workloads and its options' kinds.
    public func admit(_ options: EnvironmentOptions, spec: EnvironmentSpec) throws -> EnvironmentOptions {
        var admitted = options
        for (key, value) in options.values {
            // Unknown keys pass: the environment refuses them by name.
            guard let option = spec.options.first(where: { $0.key == key }) else { continue }
            switch option.kind {
            case .value:
                continue
            case .hostSetting:
                throw ProtocolError(.forbidden, "option \"\(key)\" is a setting of the server's machine, which its operator chooses; clients cannot set it",
                                    details: ["option": .string(key)])
            case .file:
                if option.presets.contains(value) { continue }
                admitted.values[key] = try resolve(value, for: "option \"\(key)\"")
            }
        }
        if let workload = options.workload {
            let named = spec.workloads.map(\.name).filter { !$0.contains("<") }
            if !named.contains(workload) {
                guard spec.workloads.contains(where: { $0.name.contains("<") }) else {
                    // The environment takes no files as workloads: it names the ones it has.
                    return admitted
                }
                admitted.workload = try resolve(workload, for: "workload")
            }
        }
        return admitted
    }
}
