import Foundation
import VireoStorage

/// pg_type and pg_enum rows for enum types, and the type functions that must know them
/// (format_type, regtype output and input, to_regtype).
extension SystemCatalog {
    /// pg_type: the built-in types, then each enum type (typtype 'e', category 'E', in
    /// public, 4 bytes as in PostgreSQL, no array type), then each table's and view's row
    /// type (typtype 'c', typrelid the relation, as pg_class.reltype names it; pgJDBC's
    /// getUDTs lists them; no array type).
    static func typeRelation(_ catalog: Catalog) -> Relation {
        var relation = types
        relation.rows += catalog.enumTypes.values.sorted { $0.oid < $1.oid }.map { type -> [Value] in
            [.int(type.oid), .text(type.name), .int(publicNamespaceOID), .int(4), .text("e"), .text("E"), .int(0), .int(0),
             .text(","), .int(0), .int(0), .int(-1), .bool(false), .int(ownerOID), .int(0), .null, .null]
        }
        relation.rows += catalog.domains.values.sorted { $0.oid < $1.oid }.map { domain -> [Value] in
            let base = BuiltinType.of((try? Parser.parseTypeName(domain.baseType).columnType(in: catalog)) ?? .text)
            // typdefault as PostgreSQL prints it: the expression cast to the base type.
            let shownDefault: Value = domain.defaultExpression.map { .text($0 + "::" + domain.baseType) } ?? .null
            return [.int(domain.oid), .text(domain.name), .int(publicNamespaceOID), .int(base.length), .text("d"), .text(base.category), .int(0), .int(0),
                    .text(","), .int(0), .int(base.oid), .int(-1), .bool(domain.notNull), .int(ownerOID), .int(0), shownDefault, .null]
        }
        let relations = sortedTables(catalog).map(\.name) + sortedViews(catalog).map(\.name)
        relation.rows += relations.map { name -> [Value] in
            [.int(rowTypeOID(of: name)), .text(relationName(of: name)), .int(namespaceOID(of: name)), .int(-1), .text("c"), .text("C"),
             .int(0), .int(0), .text(","), .int(oid(ofObject: name)), .int(0), .int(-1), .bool(false), .int(ownerOID), .int(0), .null, .null]
        }
        return relation
    }

    /// The OID of a table's or view's row type (pg_class.reltype).
    static func rowTypeOID(of relation: String) -> Int64 { oid(ofObject: "row type " + relation) }

    /// pg_enum: one row per label. A label's OID is its type's plus its position + 1 (stable
    /// while labels are only added at the end; PostgreSQL's are arbitrary too).
    static func enumRelation(_ catalog: Catalog) -> Relation {
        let rows = catalog.enumTypes.values.sorted { $0.oid < $1.oid }.flatMap { type in
            type.labels.enumerated().map { position, label -> [Value] in
                [.int(enumLabelOID(type, position)), .int(type.oid), .double(label.sortOrder), .text(label.label)]
            }
        }
        return Relation(columns: columns(("oid", .int), ("enumtypid", .int), ("enumsortorder", .real), ("enumlabel", .text)), rows: rows)
    }

    private static func enumLabelOID(_ type: EnumType, _ position: Int) -> Int64 {
        oid(ofObject: "enum label \(type.oid) \(type.labels[position].sortOrder)")
    }

    /// The OID of the type `name` names (built-in or enum), nil when none.
    static func typeOID(named name: String, _ catalog: Catalog) -> Int64? {
        var bare = name.trimmingCharacters(in: .whitespaces)
        if bare.hasPrefix("public.") { bare.removeFirst("public.".count) }
        if bare.count >= 2, bare.hasPrefix("\""), bare.hasSuffix("\"") { bare = String(bare.dropFirst().dropLast()) }
        return catalog.enumTypes[bare]?.oid ?? BuiltinType.oid(named: name)
    }
}

extension BuiltinType {
    /// An enum type as pg_type and pg_attribute describe it.
    static func of(_ type: EnumType) -> BuiltinType {
        BuiltinType(oid: type.oid, name: type.name, arrayOID: 0, length: 4, category: "E", informationSchemaName: "USER-DEFINED")
    }
}

extension Functions {
    /// format_type, regtype output and to_regtype over the built-in types and `catalog`'s enum types.
    static func typeFunction(_ name: String, _ catalog: Catalog) -> ScalarFunction {
        @Sendable func typeName(_ oid: Int64, _ typmod: Value) -> String? {
            let userType = catalog.enumTypes.values.first { $0.oid == oid }
            let name = userType.map { quoteIdentifier($0.name) } ?? Functions.typeName(oid, typmod)
            // pgvector's types (and their arrays) live in public, as enum types do.
            let inPublic = userType != nil || BuiltinType.pgvectorOIDs.contains { oid == $0 || oid == $0 + 1 }
            return inPublic ? SearchPath.qualified(name) : name
        }
        switch name {
        case "to_regtype":
            return ScalarFunction("to_regtype", 1...1, [.text], returns: .int) { arguments in
                SystemCatalog.typeOID(named: string(arguments[0]), catalog).map { .int($0) } ?? .null
            }
        case "format_type":
            return ScalarFunction("format_type", 1...2, [.int, .int], strict: false, returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                return .text(typeName(oid, arguments.count > 1 ? arguments[1] : .null) ?? "???")
            }
        default:
            return ScalarFunction("regtype_out", 1...1, [.int], returns: .text) { arguments in
                guard case .int(let oid) = arguments[0] else { return .null }
                return .text(typeName(oid, .null) ?? String(oid))
            }
        }
    }
}
