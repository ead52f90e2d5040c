import VireoIndex
import VireoStorage

/// pgvector's HNSW index options and operator classes.
enum HNSWOptions {
    static let mRange = 2...100
    static let efConstructionRange = 4...1000

    static func definition(_ statement: CreateIndex, name: String, table: TableDefinition) throws -> IndexDefinition {
        guard statement.columns.count == 1, let column = statement.columns.first else {
            throw VireoError(.featureNotSupported, "hnsw indexes cover exactly one column")
        }
        guard let position = table.columnIndex(column.name) else {
            throw VireoError(.undefinedColumn, "column \"\(column.name)\" does not exist")
        }
        let type = table.columns[position].type
        let typeName = try indexedTypeName(type)
        let metric = try self.metric(column.operatorClass, typeName: typeName)
        var options = ["metric": metric, "m": "16", "ef_construction": "64"]
        // Other types' indexes name their operator classes after them (vectorOperatorClass).
        if typeName != "vector" { options["type"] = typeName }
        for option in statement.options {
            if option.name == "quantization" {
                options[option.name] = try quantization(option, typeName: typeName)
                continue
            }
            guard option.name == "m" || option.name == "ef_construction" else {
                throw VireoError(.invalidParameter, "unrecognized parameter \"\(option.name)\"")
            }
            options[option.name] = try number(option, range: option.name == "m" ? mRange : efConstructionRange)
        }
        if let m = Int(options["m"]!), let ef = Int(options["ef_construction"]!), ef < 2 * m {
            throw VireoError(.invalidParameter, "ef_construction must be greater than or equal to 2 * m")
        }
        return IndexDefinition(name: name, columns: [column.name], method: "hnsw", options: options)
    }

    /// The largest bit(n) an HNSW index covers, as in pgvector.
    static let bitLengthMax = 64_000

    /// The name of the type an HNSW index over a column of `type` indexes (vector, halfvec,
    /// sparsevec or bit; another type's name, which no operator class accepts), after
    /// pgvector's checks of the column: a dimension, and not too many.
    private static func indexedTypeName(_ type: ColumnType) throws -> String {
        switch type {
        case .vector(let dimension), .halfvec(let dimension):
            guard dimension > 0 else { throw VireoError(.invalidParameter, "column does not have dimensions") }
            if case .halfvec = type, dimension > HalfVector.indexDimensionsMax {
                throw VireoError(.limitExceeded, "column cannot have more than \(HalfVector.indexDimensionsMax) dimensions for hnsw index")
            }
            return type.name.hasPrefix("halfvec") ? "halfvec" : "vector"
        case .sparsevec(let dimension):
            guard dimension > 0 else { throw VireoError(.invalidParameter, "column does not have dimensions") }
            // pgvector indexes up to 1,000,000,000 dimensions; Vireo's graph holds the
            // vectors dense (`IndexedVector`), up to its own limit.
            guard dimension <= HNSWIndex.dimensionMax else {
                throw VireoError(.limitExceeded, "column cannot have more than \(HNSWIndex.dimensionMax) dimensions for hnsw index")
            }
            return "sparsevec"
        case .bit(let length?, varying: false):
            guard length <= bitLengthMax else {
                throw VireoError(.limitExceeded, "column cannot have more than \(bitLengthMax) dimensions for hnsw index")
            }
            return "bit"
        case .bit:
            // pgvector's bit operator classes are declared on bit; a varbit column gets
            // one through the binary-coercible cast, and its build refuses it.
            throw VireoError(.featureNotSupported, "type not supported for hnsw index")
        default:
            // No operator class takes it: metric() says so in pgvector's words.
            return type.name
        }
    }

    /// The metrics of each type's HNSW operator classes (`<type>_<suffix>`); bit and
    /// sparsevec have no default class, vector and halfvec default to l2.
    private static let operatorClasses: [(type: String, metrics: [String: String])] = [
        ("vector", ["l2_ops": "l2", "ip_ops": "ip", "cosine_ops": "cosine", "l1_ops": "l1"]),
        ("halfvec", ["l2_ops": "l2", "ip_ops": "ip", "cosine_ops": "cosine", "l1_ops": "l1"]),
        ("sparsevec", ["l2_ops": "l2", "ip_ops": "ip", "cosine_ops": "cosine", "l1_ops": "l1"]),
        ("bit", ["hamming_ops": "hamming", "jaccard_ops": "jaccard"]),
    ]

    /// The metric of an HNSW operator class over a column of `typeName`;
    /// IndexDefinition.vectorOperatorClass is the way back.
    private static func metric(_ operatorClass: String?, typeName: String) throws -> String {
        let hasDefault = typeName == "vector" || typeName == "halfvec"
        guard let name = operatorClass ?? (hasDefault ? typeName + "_l2_ops" : nil) else {
            throw VireoError(.undefinedObject, "data type \(typeName) has no default operator class for access method \"hnsw\"",
                             hint: "You must specify an operator class for the index or define a default operator class for the data type.")
        }
        for (type, metrics) in operatorClasses where name.hasPrefix(type + "_") {
            guard let metric = metrics[String(name.dropFirst(type.count + 1))] else { break }
            guard type == typeName else {
                throw VireoError(.typeMismatch, "operator class \"\(name)\" does not accept data type \(typeName)")
            }
            return metric
        }
        throw VireoError(.undefinedObject, "operator class \"\(name)\" does not exist for access method \"hnsw\"")
    }

    /// `quantization = int8` or `binary` (codes in the graph, re-ranked from the table's rows) or `none`.
    private static func quantization(_ option: IndexOption, typeName: String) throws -> String {
        // Codes re-rank from the rows' float vectors, which bit and sparsevec rows do not hold.
        guard typeName != "bit", typeName != "sparsevec" else {
            throw VireoError(.invalidParameter, "unrecognized parameter \"quantization\"")
        }
        switch option.value {
        case .string(let value), .word(let value):
            if let quantization = VectorQuantization(rawValue: value.lowercased()) { return quantization.rawValue }
        default: break
        }
        throw VireoError(.invalidParameter, "invalid value for option \"quantization\"\nDETAIL: Valid values are \(validValues).")
    }

    /// "none", "int8" and "binary", as the error detail lists them.
    private static var validValues: String {
        let names = VectorQuantization.allCases.map { "\"\($0.rawValue)\"" }
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    private static func number(_ option: IndexOption, range: ClosedRange<Int>) throws -> String {
        let text: String
        switch option.value {
        case .number(let value), .string(let value), .word(let value): text = value
        default: text = ""
        }
        guard let value = Int(text), range.contains(value) else {
            throw VireoError(.invalidParameter, "value \(text) out of bounds for option \"\(option.name)\"\nDETAIL: Valid values are between \"\(range.lowerBound)\" and \"\(range.upperBound)\".")
        }
        return String(value)
    }
}

extension IndexDefinition {
    /// An HNSW index's operator class, from the metric CREATE INDEX stored.
    public var vectorOperatorClass: String {
        let suffix = ["ip": "ip", "cosine": "cosine", "l1": "l1", "hamming": "hamming", "jaccard": "jaccard"][options["metric"] ?? "l2"] ?? "l2"
        return (options["type"] ?? "vector") + "_" + suffix + "_ops"
    }

    /// ` WITH (m='16', ef_construction='64')`, as pg_get_indexdef prints an HNSW index's
    /// options (with `quantization` when the graph holds codes).
    public var vectorOptionsClause: String {
        let names = ["m", "ef_construction"] + (options["quantization"].map { $0 == "none" ? [] : ["quantization"] } ?? [])
        let written = names.compactMap { name in options[name].map { "\(name)='\($0)'" } }
        return written.isEmpty ? "" : " WITH (" + written.joined(separator: ", ") + ")"
    }
}
