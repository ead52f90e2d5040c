import Foundation
import VireoQuery
import Yams

/// A session's config file, read once at create: YAML or JSON, under the configs directory
/// and nowhere else. It names the command to run, the total epochs and any hyper-parameters;
/// the whole document is kept (and echoed) as parsed.
///
/// ```yaml
/// command: python3 examples/training/trainer.py   # or a list: [python3, trainer.py]
/// epochs: 10                                      # or total_epochs
/// learning_rate: 0.001                            # anything else: hyper-parameters
/// env: {OMP_NUM_THREADS: "1"}                     # optional extra environment
/// ```
struct TrainingConfig: Sendable {
    /// Bytes a config file may have.
    static let fileBytesMax = 1 << 20
    /// Nesting a config may have (a hostile file cannot make the parser recurse without end).
    static let depthMax = 32
    /// Epochs a session may declare.
    static let epochsMax: Int64 = 10_000_000

    /// The path as the client gave it (relative to the configs directory).
    var path: String
    /// The document as parsed.
    var document: JSONValue
    /// argv of the program; a string command runs as `/bin/sh -c command`.
    var command: [String]
    var totalEpochs: Int64
    /// Extra environment variables for the program.
    var environment: [(String, String)]

    /// Reads and checks `path` under `directory`; every problem is a 422 naming `config_path` or the config's field.
    static func load(_ path: String, directory: String) throws -> TrainingConfig {
        let file = try resolve(path, under: directory)
        guard let data = FileManager.default.contents(atPath: file) else { throw RESTError.invalid("config_path", "cannot read '\(path)'") }
        guard data.count <= fileBytesMax else { throw RESTError.invalid("config_path", "'\(path)' is larger than \(fileBytesMax) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw RESTError.invalid("config_path", "'\(path)' is not UTF-8 text") }
        let document = try parse(text, json: file.lowercased().hasSuffix(".json"), path: path)
        guard case .object = document else { throw RESTError.invalid("config_path", "'\(path)' must hold a mapping (key: value lines)") }
        return TrainingConfig(path: path, document: document, command: try command(document), totalEpochs: try epochs(document),
                              environment: try environment(document))
    }

    /// The real path of `path` under `directory`; relative paths only, and symbolic links may not lead out.
    static func resolve(_ path: String, under directory: String) throws -> String {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\0") else {
            throw RESTError.invalid("config_path", "must be a path relative to the configs directory")
        }
        let extensionName = (path as NSString).pathExtension.lowercased()
        guard ["yaml", "yml", "json"].contains(extensionName) else {
            throw RESTError.invalid("config_path", "must name a .yaml, .yml or .json file")
        }
        let root = realPath(directory) ?? directory
        guard let file = realPath(root + "/" + path) else { throw RESTError.invalid("config_path", "no config file '\(path)' in the configs directory") }
        guard file.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw RESTError.invalid("config_path", "'\(path)' leads outside the configs directory")
        }
        return file
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func parse(_ text: String, json: Bool, path: String) throws -> JSONValue {
        if json {
            guard let value = try? JSONValue.parse(text) else { throw RESTError.invalid("config_path", "'\(path)' is not valid JSON") }
            return value
        }
        do {
            guard let node = try Yams.compose(yaml: text) else { return .object([]) }
            return try value(node, depth: 0)
        } catch let error as RESTError {
            throw error
        } catch {
            throw RESTError.invalid("config_path", "'\(path)' is not valid YAML: \(error)")
        }
    }

    /// A YAML node as JSON: plain scalars by their resolved type, keys as text.
    static func value(_ node: Node, depth: Int) throws -> JSONValue {
        guard depth < depthMax else { throw RESTError.invalid("config_path", "the config nests deeper than \(depthMax) levels") }
        switch node {
        case .mapping(let mapping):
            return .object(try mapping.map { ($0.key.string ?? "", try value($0.value, depth: depth + 1)) })
        case .sequence(let sequence):
            return .array(try sequence.map { try value($0, depth: depth + 1) })
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.description) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map { .number(Double($0)) } ?? .string(scalar.string)
            case .float: return node.float.map { $0.isFinite ? .number($0) : .string(scalar.string) } ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        }
    }

    static func command(_ document: JSONValue) throws -> [String] {
        switch document.member("command") {
        case .string(let text)? where text.contains(where: { !$0.isWhitespace }):
            return ["/bin/sh", "-c", text]
        case .array(let items)? where !items.isEmpty:
            return try items.enumerated().map { index, item in
                guard case .string(let text) = item, !text.isEmpty else { throw RESTError.invalid("config.command[\(index)]", "must be a non-empty string") }
                return text
            }
        default:
            throw RESTError.invalid("config.command", "the config must name the program to run: a command line, or a list of arguments")
        }
    }

    /// `epochs`, `total_epochs`, or `epochs` inside `training`.
    static func epochs(_ document: JSONValue) throws -> Int64 {
        let candidates = [("epochs", document.member("epochs")), ("total_epochs", document.member("total_epochs")),
                          ("training.epochs", document.member("training")?.member("epochs"))]
        guard let (field, value) = candidates.first(where: { $0.1 != nil }), let value else {
            throw RESTError.invalid("config.epochs", "the config must say how many epochs the run has (epochs: N)")
        }
        guard case .number(let number) = value, number == number.rounded(), let epochs = Int64(exactly: number),
              (1...epochsMax).contains(epochs) else {
            throw RESTError.invalid("config.\(field)", "must be an integer from 1 to \(epochsMax)")
        }
        return epochs
    }

    static func environment(_ document: JSONValue) throws -> [(String, String)] {
        guard let value = document.member("env"), value != .null else { return [] }
        guard case .object(let fields) = value else { throw RESTError.invalid("config.env", "must be a mapping of names to values") }
        return try fields.map { name, item in
            guard !name.isEmpty, !name.contains("="), !name.contains("\0") else { throw RESTError.invalid("config.env", "'\(name)' is not a variable name") }
            switch item {
            case .string(let text): return (name, text)
            case .number, .bool: return (name, item.text)
            default: throw RESTError.invalid("config.env.\(name)", "must be a string, number or boolean")
            }
        }
    }
}
