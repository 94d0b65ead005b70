import CZeroMQ
import Foundation
import GymCore

/// CURVE encryption and authentication (ZeroMQ's elliptic-curve security), with keys in files.
///
/// A key pair is two Z85 strings of 40 characters. `gym keygen NAME` writes `NAME.pub` (the public key,
/// one line, safe to share) and `NAME.secret` (both keys, readable by the owner only). A server with a
/// secret key encrypts every connection and proves its identity; a client needs the server's public key.
/// A server given a folder of client public keys admits only those clients.
public enum Curve {
    /// Whether the installed libzmq supports CURVE (`zmq_has("curve")`).
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    /// A key pair.
    public struct KeyPair: Hashable, Sendable {
        public var publicKey: String
        public var secretKey: String
        /// A key pair from its two Z85 keys.
        public init(publicKey: String, secretKey: String) {
            self.publicKey = publicKey
            self.secretKey = secretKey
        }
    }

    /// Fails with a clear message when the installed libzmq has no CURVE.
    public static func requireAvailable() throws {
        guard isAvailable else {
            throw ProtocolError(.badRequest, "this libzmq was built without CURVE (zmq_has(\"curve\") is false); install a libzmq built with libsodium, or run without the --curve options")
        }
    }

    /// A new random key pair.
    public static func generate() throws -> KeyPair {
        try requireAvailable()
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return KeyPair(publicKey: String(cString: publicKey), secretKey: String(cString: secretKey))
    }

    /// Writes `path.pub` and `path.secret` (mode 0600).
    public static func write(_ pair: KeyPair, to path: String) throws {
        try (pair.publicKey + "\n").write(toFile: path + ".pub", atomically: true, encoding: .utf8)
        // Created readable by its owner only, from the first byte.
        let secret = path + ".secret"
        try? FileManager.default.removeItem(atPath: secret)
        guard FileManager.default.createFile(atPath: secret, contents: Data("public \(pair.publicKey)\nsecret \(pair.secretKey)\n".utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ProtocolError(.badRequest, "cannot write the key file \(secret)")
        }
    }

    /// Reads a `.secret` file.
    public static func readKeyPair(_ path: String) throws -> KeyPair {
        guard let text = try? InputFile.text(path, what: "key", limit: 4096) else {
            throw ProtocolError(.badRequest, "cannot read the key file \(path)")
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        guard let publicKey = fields["public"], let secretKey = fields["secret"], isKey(publicKey), isKey(secretKey) else {
            throw ProtocolError(.badRequest, "\(path) is not a secret key file: expected the lines 'public <40 Z85 characters>' and 'secret <40 Z85 characters>' (make one with gym keygen)")
        }
        return KeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// Reads a `.pub` file (or a `.secret` file's public key).
    public static func readPublicKey(_ path: String) throws -> String {
        guard let text = try? InputFile.text(path, what: "key", limit: 4096) else {
            throw ProtocolError(.badRequest, "cannot read the key file \(path)")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if isKey(key) { return key }
        return try readKeyPair(path).publicKey
    }

    /// The public keys of every `.pub` file in a folder.
    public static func readPublicKeys(folder: String) throws -> Set<String> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw ProtocolError(.badRequest, "cannot read the folder of client keys \(folder)")
        }
        return Set(try names.filter { $0.hasSuffix(".pub") }.map { try readPublicKey(folder + "/" + $0) })
    }

    static func isKey(_ text: String) -> Bool { text.utf8.count == 40 }

    /// Settings for a server socket: its key pair, and the clients it admits (any when nil).
    public struct Server: Sendable {
        public var keys: KeyPair
        public var authorizedClients: Set<String>?
        public init(keys: KeyPair, authorizedClients: Set<String>? = nil) {
            self.keys = keys
            self.authorizedClients = authorizedClients
        }
    }

    /// Settings for a client socket: the server's public key, and this client's key pair (a fresh one
    /// when nil).
    public struct Client: Sendable {
        public var serverKey: String
        public var keys: KeyPair?
        public init(serverKey: String, keys: KeyPair? = nil) {
            self.serverKey = serverKey
            self.keys = keys
        }
    }
}

extension ZMQSocket {
    func setStringOption(_ option: Int32, _ value: String) throws {
        let bytes = Array(value.utf8)
        guard zmq_setsockopt(rawHandle, option, bytes, bytes.count) == 0 else { throw ZMQError.last("zmq_setsockopt") }
    }

    /// Makes this socket a CURVE server (before bind); with an allow-list, starts the authenticator.
    func secure(_ server: Curve.Server) throws {
        try Curve.requireAvailable()
        if let clients = server.authorizedClients {
            CurveAuthenticator.shared.authorize(clients)
            try setStringOption(ZMQ_ZAP_DOMAIN, "designgym")
        }
        try setOption(ZMQ_CURVE_SERVER, 1)
        try setStringOption(ZMQ_CURVE_SECRETKEY, server.keys.secretKey)
    }

    /// Makes this socket a CURVE client of a server with `client.serverKey` (before connect).
    func secure(_ client: Curve.Client) throws {
        try Curve.requireAvailable()
        let keys = try client.keys ?? Curve.generate()
        try setStringOption(ZMQ_CURVE_SERVERKEY, client.serverKey)
        try setStringOption(ZMQ_CURVE_PUBLICKEY, keys.publicKey)
        try setStringOption(ZMQ_CURVE_SECRETKEY, keys.secretKey)
    }
}

/// The process's ZAP handler (RFC 27): admits CURVE clients whose public key is on the allow-list.
final class CurveAuthenticator: @unchecked Sendable {
    static let shared = CurveAuthenticator()
    private let lock = NSLock()
    private var allowed: Set<String> = []
    private var started = false

    func authorize(_ keys: Set<String>) {
        lock.lock()
        allowed.formUnion(keys)
        let start = !started
        started = true
        lock.unlock()
        guard start else { return }
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { self.serve(ready) }
        thread.name = "designgym.zap"
        thread.start()
        ready.wait()
    }

    private func isAllowed(_ key: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return allowed.contains(key)
    }

    private func serve(_ ready: DispatchSemaphore) {
        guard let socket = try? ZMQSocket(type: ZMQ_REP), (try? socket.bind("inproc://zeromq.zap.01")) != nil else {
            ready.signal()
            return
        }
        ready.signal()
        while true {
            guard let frames = try? socket.receive(timeout: -1), frames.count >= 6 else { continue }
            // version, request id, domain, address, identity, mechanism, credentials…
            let mechanism = String(decoding: frames[5], as: UTF8.self)
            var status = "400", text = "unknown client key"
            if frames[2].isEmpty {
                (status, text) = ("200", "OK")  // a socket without an allow-list
            } else if mechanism == "CURVE", frames.count >= 7, frames[6].count == 32 {
                var encoded = [CChar](repeating: 0, count: 41)
                let key = frames[6].withUnsafeBytes { raw -> String in
                    _ = zmq_z85_encode(&encoded, raw.bindMemory(to: UInt8.self).baseAddress, 32)
                    return String(cString: encoded)
                }
                if isAllowed(key) { (status, text) = ("200", "OK") }
            }
            try? socket.send([Data("1.0".utf8), frames[1], Data(status.utf8), Data(text.utf8), Data(), Data()])
        }
    }
}
