import Crypto
import Foundation

/// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it, with
/// the server's API keys as the passwords. The salt is drawn once per server start, so
/// each key's salted password is derived once (4096 PBKDF2 rounds), not per connection.
struct SCRAMVerifier: Sendable {
    static let mechanism = "SCRAM-SHA-256"
    static let iterationCount = 4096

    /// What the server keeps of one password: StoredKey and ServerKey.
    struct Credential: Sendable {
        var storedKey: [UInt8]
        var serverKey: [UInt8]
    }

    let salt: [UInt8]
    let credentials: [Credential]

    init(passwords: [String], salt: [UInt8] = (0..<16).map { _ in UInt8.random(in: 0...255) }) {
        self.salt = salt
        credentials = passwords.map { password in
            let salted = Self.pbkdf2(password: Array(password.utf8), salt: salt, iterations: Self.iterationCount)
            let clientKey = Self.hmac(salted, Array("Client Key".utf8))
            return Credential(storedKey: Array(SHA256.hash(data: clientKey)), serverKey: Self.hmac(salted, Array("Server Key".utf8)))
        }
    }

    static func hmac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// PBKDF2-HMAC-SHA256 with one output block (32 bytes), as SCRAM-SHA-256 needs.
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<iterations {
            block = Array(HMAC<SHA256>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }
}

/// One SCRAM exchange: client-first → server-first → client-final → server-final.
struct SCRAMExchange {
    let verifier: SCRAMVerifier
    private var clientFirstBare = ""
    private var serverFirst = ""
    private var nonce = ""

    init(verifier: SCRAMVerifier) { self.verifier = verifier }

    /// Reads `n,,n=user,r=nonce` (no channel binding) and answers with the server-first
    /// message; `serverNonce` is random except in tests that replay a known exchange.
    mutating func serverFirstMessage(
        clientFirst: String, serverNonce: String = Data((0..<18).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    ) throws -> String {
        guard clientFirst.hasPrefix("n,") || clientFirst.hasPrefix("y,") else {
            throw PGProtocolError(sqlState: "28000", "SCRAM channel binding is not supported; connect without it")
        }
        let parts = clientFirst.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw PGProtocolError(sqlState: "28000", "malformed SCRAM client-first message") }
        clientFirstBare = String(parts[2])
        guard let clientNonce = Self.attribute("r", in: clientFirstBare), !clientNonce.isEmpty else {
            throw PGProtocolError(sqlState: "28000", "SCRAM client-first message has no nonce")
        }
        nonce = clientNonce + serverNonce
        serverFirst = "r=\(nonce),s=\(Data(verifier.salt).base64EncodedString()),i=\(SCRAMVerifier.iterationCount)"
        return serverFirst
    }

    /// Checks `c=biws,r=…,p=proof` against every key; returns the server-final message
    /// (`v=signature`) for the key that matches, nil when none does.
    func serverFinalMessage(clientFinal: String) throws -> String? {
        guard let proofIndex = clientFinal.range(of: ",p=") else {
            throw PGProtocolError(sqlState: "28000", "malformed SCRAM client-final message")
        }
        let withoutProof = String(clientFinal[..<proofIndex.lowerBound])
        guard Self.attribute("r", in: withoutProof) == nonce,
              let proof = Data(base64Encoded: String(clientFinal[proofIndex.upperBound...])), proof.count == 32 else {
            return nil
        }
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        for credential in verifier.credentials {
            let signature = SCRAMVerifier.hmac(credential.storedKey, authMessage)
            let clientKey = zip(proof, signature).map { $0 ^ $1 }
            guard APIKeys.constantTimeEqual(Array(SHA256.hash(data: clientKey)), credential.storedKey) else { continue }
            return "v=" + Data(SCRAMVerifier.hmac(credential.serverKey, authMessage)).base64EncodedString()
        }
        return nil
    }

    private static func attribute(_ name: Character, in message: String) -> String? {
        for part in message.split(separator: ",") where part.first == name && part.dropFirst().first == "=" {
            return String(part.dropFirst(2))
        }
        return nil
    }
}
