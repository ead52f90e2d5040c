import VireoStorage

/// Where PostgreSQL 15 applies a cast between two types: pg_cast's castcontext, with its
/// automatic I/O conversions (every type to a string type by assignment, a string type to
/// every type explicitly) and pgvector's casts. Implicit casts count as assignment ones:
/// nothing here chooses between operators. Checked on PostgreSQL 15 for every pair of the
/// types Vireo has (`INSERT INTO c SELECT NULL::source` and `NULL::source::target`).
enum CastContext: Int, Comparable {
    /// Only written out: `CAST(x AS type)`, `x::type`.
    case explicit
    /// Also where a value is stored into a column (INSERT, UPDATE, defaults).
    case assignment

    static func < (a: CastContext, b: CastContext) -> Bool { a.rawValue < b.rawValue }

    /// The context that may cast `source` to `target`; nil when PostgreSQL has no cast
    /// (42846). A value of unknown type (a string literal, NULL, a parameter) goes anywhere.
    static func of(_ source: SQLType, to target: SQLType) -> CastContext? {
        if source == target || source == .unknown || target == .unknown { return .assignment }
        switch (source, target) {
        case (.bit, .bit): return .assignment
        // pgvector: vector and halfvec to sparsevec are implicit, back by assignment.
        case (.sparsevec, .sparsevec): return .assignment
        case (let from, .sparsevec) where from.isVector: return .assignment
        case (.sparsevec, let to) where to.isVector: return .assignment
        case (.array(let element), .sparsevec): return vectorElements.contains(element) ? .assignment : nil
        // vector to halfvec is implicit in pgvector, halfvec to vector by assignment.
        case (let from, let to) where from.isVector && to.isVector: return .assignment
        case (.array(let from), .array(let to)): return of(from, to: to)
        case (.int2vector, .array(let to)): return of(.smallint, to: to)
        case (.array(let element), .vector), (.array(let element), .halfvec): return vectorElements.contains(element) ? .assignment : nil
        case (.vector, .array(.real)), (.halfvec, .array(.real)): return .assignment
        case (.text, .internalChar), (.name, .internalChar): return .assignment
        case (.integer, .internalChar), (.internalChar, .integer): return .explicit
        case (_, .internalChar), (.internalChar, _): return target.isText ? .assignment : nil
        case (_, .text), (_, .name): return .assignment
        case (.text, _), (.name, _): return .explicit
        default: return scalar(source, to: target)
        }
    }

    /// The element types of the arrays pgvector casts to vector.
    private static let vectorElements: Set<SQLType> = [.integer, .real, .double, .numeric, .unknown]

    /// Casts between scalar types other than the string types.
    private static func scalar(_ source: SQLType, to target: SQLType) -> CastContext? {
        switch (source, target) {
        case (.oid, .int), (.oid, .integer), (.int, .oid), (.integer, .oid), (.smallint, .oid): return .assignment
        case (.oid, _), (_, .oid): return nil
        case (.bool, .integer), (.integer, .bool): return .explicit
        case (.int, .bit(_, varying: false)), (.integer, .bit(_, varying: false)),
             (.bit(_, varying: false), .int), (.bit(_, varying: false), .integer): return .explicit
        case (.json, .jsonText), (.jsonText, .json): return .assignment
        case (.json, .bool): return .explicit
        case (.json, _) where target.isNumeric: return .explicit
        case (.timestamp, .date), (.timestamp, .timestamptz), (.timestamp, .time),
             (.date, .timestamp), (.date, .timestamptz),
             (.timestamptz, .timestamp), (.timestamptz, .date), (.timestamptz, .time),
             (.interval, .time), (.time, .interval): return .assignment
        default: return source.isNumeric && target.isNumeric ? .assignment : nil
        }
    }
}

extension Cast {
    /// 42846 unless PostgreSQL has a cast from `source` to `target` (`true::bigint`,
    /// `1::uuid`, `now()::int`), named by the types the statement gives them.
    static func checkExplicit(from source: SQLType, to target: SQLType) throws {
        guard CastContext.of(source, to: target) == nil else { return }
        throw VireoError(.cannotCoerce, "cannot cast type \(source) to \(target)")
    }

    /// 42804 unless an expression of type `source` may be stored into `column` without a
    /// written cast (PostgreSQL's assignment casts: `1` into a boolean column is refused,
    /// `2.5` into an integer one rounds), in PostgreSQL's words and with its hint.
    static func checkAssignment(from source: SQLType, to column: VireoStorage.ColumnDefinition, name: String? = nil,
                                isDefault: Bool = false) throws {
        guard CastContext.of(source, to: SQLType(column.type)) != .assignment else { return }
        let what = isDefault ? "default expression" : "expression"
        throw VireoError(.typeMismatch, "column \"\(name ?? column.name)\" is of type \(column.type.unqualifiedName) but \(what) is of type \(source)",
                         hint: "You will need to rewrite or cast the expression.")
    }
}

extension ColumnType {
    /// The type's name without its modifiers, as PostgreSQL's messages print a column's
    /// type (`character varying`, `numeric`, `vector`).
    var unqualifiedName: String {
        switch self {
        case .varchar: "character varying"
        case .char: "character"
        case .vector: "vector"
        case .halfvec: "halfvec"
        case .sparsevec: "sparsevec"
        case .array(let element): element.unqualifiedName + "[]"
        default: SQLType(self).description
        }
    }
}
