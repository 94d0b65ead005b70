import Foundation

/// Files named by users and clients — traces, device descriptions, networks, proxies — read safely:
/// regular files only (never a directory, device or pipe), bounded in size, and errors that name the
/// file and the problem without quoting its content.
public enum InputFile {
    /// The largest description file read whole, in bytes (64 MiB).
    public static let defaultLimit = 64 << 20

    /// The size in bytes of the regular file at `path` (symbolic links followed), or an error saying
    /// what it is instead.
    public static func size(_ path: String, what: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw InputFileError(path: path, what: what, reason: String(cString: strerror(errno)).lowercased())
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw InputFileError(path: path, what: what, reason: "it is \(kind)")
        }
        return Int(info.st_size)
    }

    /// The whole content of the regular file at `path`, refusing files above `limit` bytes.
    public static func read(_ path: String, what: String, limit: Int = defaultLimit) throws -> Data {
        let size = try size(path, what: what)
        guard size <= limit else {
            throw InputFileError(path: path, what: what, reason: "it has \(size) bytes; the limit is \(limit)")
        }
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            throw InputFileError(path: path, what: what, reason: "it cannot be opened")
        }
        defer { try? handle.close() }
        do {
            // One byte more than the limit tells a file that grew since `stat` from one that did not.
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            guard data.count <= limit else {
                throw InputFileError(path: path, what: what, reason: "it has more than \(limit) bytes")
            }
            return data
        } catch let error as InputFileError {
            throw error
        } catch {
            throw InputFileError(path: path, what: what, reason: "it cannot be read")
        }
    }

    /// The file's content as UTF-8 text.
    public static func text(_ path: String, what: String, limit: Int = defaultLimit) throws -> String {
        guard let text = String(data: try read(path, what: what, limit: limit), encoding: .utf8) else {
            throw InputFileError(path: path, what: what, reason: "it is not UTF-8 text")
        }
        return text
    }
}

/// A file that cannot be used, with its path and the reason (never its content).
public struct InputFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path as given.
    public var path: String
    /// What the file was meant to be ("trace", "memspec").
    public var what: String
    /// Why it cannot be used.
    public var reason: String

    /// Creates the error.
    public init(path: String, what: String, reason: String) {
        self.path = path
        self.what = what
        self.reason = reason
    }

    /// "cannot read the trace file x.stl: it is a directory".
    public var description: String { "cannot use the \(what) file \(path): \(reason)" }
}
